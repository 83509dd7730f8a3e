/*
 * test_exec.c: exec_run() and exec_summary() (src/exec.c).
 *
 * Runs the helpers in tests/data/exec/ and a few system binaries
 * (/usr/bin/env, /bin/cat) for the checks that must not depend on a shell.
 * Run from the repository root.  The process makes itself a child
 * subreaper, so grandchildren the helpers leave behind come back to it and
 * can be killed and reaped by pid; a watchdog alarm bounds the whole run.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND	0
#endif

#include "exec.h"

#define DATADIR		"tests/data/exec"
#define WATCHDOG_S	180

static char	datadir[PATH_MAX];

static const char *
helper(char *buf, size_t len, const char *name)
{
	int	n;

	n = snprintf(buf, len, "%s/%s", datadir, name);
	assert_true(n > 0 && (size_t)n < len);
	return buf;
}

static struct exec_result *
new_result(void)
{
	struct exec_result	*res;

	res = test_malloc(sizeof(*res));
	assert_non_null(res);
	memset(res, 0xa5, sizeof(*res));	/* exec_run must set everything */
	return res;
}

/* The kept stdout as a NUL-terminated string (test output is small). */
static char *
out_str(const struct exec_result *res, char *buf, size_t len)
{
	size_t	n = res->outlen < len - 1 ? res->outlen : len - 1;

	memcpy(buf, res->out, n);
	buf[n] = '\0';
	return buf;
}

static char *
err_str(const struct exec_result *res, char *buf, size_t len)
{
	size_t	n = res->errlen < len - 1 ? res->errlen : len - 1;

	memcpy(buf, res->err, n);
	buf[n] = '\0';
	return buf;
}

static long long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* First line of stdout as a pid. */
static pid_t
out_pid(const struct exec_result *res)
{
	char	 buf[64], *end;
	long	 v;

	out_str(res, buf, sizeof(buf));
	errno = 0;
	v = strtol(buf, &end, 10);
	assert_int_equal(errno, 0);
	assert_true(end != buf && *end == '\n');
	assert_true(v > 1 && v < INT_MAX);
	return (pid_t)v;
}

/* Reap whatever zombies came back to us (we are a subreaper). */
static void
reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Nothing of the process group may survive.  SIGKILL takes effect
 * asynchronously and killed orphans are zombies until reaped (by us), so
 * allow a short bounded wait.
 */
static void
assert_group_gone(pid_t pgid)
{
	long long	end = mono_ms() + 2000;

	for (;;) {
		reap_orphans();
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return;
		if (mono_ms() > end)
			fail_msg("process group %d still exists", (int)pgid);
		usleep(10000);
	}
}

static void
kill_and_reap(pid_t pid)
{
	long long	end = mono_ms() + 2000;

	(void)kill(pid, SIGKILL);
	/* Ours to reap as subreaper; else it is init's and just vanishes. */
	while (waitpid(pid, NULL, WNOHANG) == 0 && mono_ms() < end)
		usleep(10000);
}

/* ------------------------------------------------------------------ */

static void
test_exit0_streams(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX], buf[256];
	char			*argv[] = { p, NULL, NULL };

	(void)state;
	helper(p, sizeof(p), "talk.sh");
	argv[1] = "0";
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	assert_string_equal(out_str(res, buf, sizeof(buf)),
	    "out line one\nout line two\n");
	assert_string_equal(err_str(res, buf, sizeof(buf)), "err line\n");
	assert_int_equal(res->out_trunc, 0);
	assert_int_equal(res->err_trunc, 0);
	assert_true(res->ms >= 0 && res->ms < 5000);
	test_free(res);
}

static void
test_exit_n(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX], sum[256];
	char			*argv[] = { p, NULL, NULL };

	(void)state;
	helper(p, sizeof(p), "talk.sh");
	argv[1] = "42";
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 42);
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "err line");

	argv[1] = "255";
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 255);
	test_free(res);
}

static void
run_signal(const char *sig, int signo)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX], sum[256], want[64];
	char			*argv[] = { p, NULL, NULL };

	helper(p, sizeof(p), "signal.sh");
	argv[1] = (char *)sig;
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_SIGNALED);
	assert_int_equal(res->status, signo);
	assert_true(res->ms < 4000);	/* not the helper's sleep 5 */
	exec_summary(res, sum, sizeof(sum));
	snprintf(want, sizeof(want), "killed by signal %d", signo);
	assert_string_equal(sum, want);
	test_free(res);
}

static void
test_signal_segv(void **state)
{
	(void)state;
	run_signal("SEGV", SIGSEGV);
}

static void
test_signal_kill(void **state)
{
	(void)state;
	run_signal("KILL", SIGKILL);
}

static void
test_flood(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX];
	char			*argv[] = { p, NULL };
	size_t			 i;

	(void)state;
	helper(p, sizeof(p), "flood.sh");
	assert_int_equal(exec_run(p, argv, 20000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	assert_int_equal(res->outlen, ARGO_MAX_TOOL_OUTPUT);
	assert_int_equal(res->errlen, ARGO_MAX_TOOL_OUTPUT);
	assert_int_equal(res->out_trunc, 1);
	assert_int_equal(res->err_trunc, 1);
	for (i = 0; i < res->outlen; i++)
		if (res->out[i] != 'o')
			fail_msg("stdout byte %zu is %d", i, res->out[i]);
	for (i = 0; i < res->errlen; i++)
		if (res->err[i] != 'e')
			fail_msg("stderr byte %zu is %d", i, res->err[i]);
	assert_true(res->ms < 15000);
	test_free(res);
}

static void
test_timeout_term(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX];
	char			*argv[] = { p, NULL };
	long long		 t0, took;
	pid_t			 pgid;

	(void)state;
	helper(p, sizeof(p), "sleep.sh");
	t0 = mono_ms();
	assert_int_equal(exec_run(p, argv, 500, res), 0);
	took = mono_ms() - t0;
	assert_int_equal(res->outcome, EXEC_TIMEOUT);
	assert_int_equal(res->status, SIGTERM);	/* the shell died of it */
	assert_true(res->ms >= 500);
	assert_true(took < 500 + ARGO_KILL_GRACE_MS + 1000);
	assert_true(res->ms <= took);
	pgid = out_pid(res);
	assert_group_gone(pgid);
	test_free(res);
}

static void
test_timeout_kill(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX];
	char			*argv[] = { p, NULL };
	long long		 t0, took;
	pid_t			 pgid;

	(void)state;
	helper(p, sizeof(p), "ignore_term.sh");
	t0 = mono_ms();
	assert_int_equal(exec_run(p, argv, 300, res), 0);
	took = mono_ms() - t0;
	assert_int_equal(res->outcome, EXEC_TIMEOUT);
	assert_int_equal(res->status, SIGKILL);
	/* SIGTERM was ignored: the whole grace went by. */
	assert_true(res->ms >= 300 + ARGO_KILL_GRACE_MS - 20);
	assert_true(took < 300 + ARGO_KILL_GRACE_MS + 1000);
	pgid = out_pid(res);
	assert_group_gone(pgid);
	test_free(res);
}

static void
run_background(const char *which)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX];
	char			*argv[] = { p, NULL, NULL };
	long long		 t0, took;
	pid_t			 bg;

	helper(p, sizeof(p), "bg.sh");
	argv[1] = (char *)which;
	t0 = mono_ms();
	assert_int_equal(exec_run(p, argv, 20000, res), 0);
	took = mono_ms() - t0;
	bg = out_pid(res);
	/* Still there: exec_run neither waited for it nor killed it. */
	assert_int_equal(kill(bg, 0), 0);
	kill_and_reap(bg);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 3);
	assert_true(took < 1500);
	test_free(res);
}

static void
test_background_stdout(void **state)
{
	(void)state;
	run_background("stdout");
}

static void
test_background_stderr(void **state)
{
	(void)state;
	run_background("stderr");
}

static void
test_background_stdin(void **state)
{
	(void)state;
	run_background("stdin");
}

/*
 * What the child left behind writes without end: the drain after the exit
 * is bounded all the same, and the surplus is dropped.
 */
static void
test_background_flood(void **state)
{
	struct exec_result	*res = new_result();
	struct exec_result	*pidres = new_result();
	char			 p[PATH_MAX];
	char			*argv[] = { p, "flood", NULL };
	long long		 t0, took;
	pid_t			 bg;

	(void)state;
	helper(p, sizeof(p), "bg.sh");
	t0 = mono_ms();
	assert_int_equal(exec_run(p, argv, 20000, res), 0);
	took = mono_ms() - t0;
	/* The pid came on stderr; out_pid() reads stdout. */
	memcpy(pidres->out, res->err, res->errlen);
	pidres->outlen = res->errlen;
	bg = out_pid(pidres);
	kill_and_reap(bg);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 3);
	assert_int_equal(res->outlen, ARGO_MAX_TOOL_OUTPUT);
	assert_int_equal(res->out_trunc, 1);
	assert_true(took < 2500);
	test_free(pidres);
	test_free(res);
}

static void
test_environment(void **state)
{
	struct exec_result	*res = new_result();
	char			 buf[1024];
	char			*argv[] = { "env", NULL };

	(void)state;
	assert_int_equal(setenv("ARGO_TEST_SECRET", "leak", 1), 0);
	assert_int_equal(setenv("LD_LIBRARY_PATH", "/nonexistent", 1), 0);
	assert_int_equal(exec_run("/usr/bin/env", argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	assert_string_equal(out_str(res, buf, sizeof(buf)),
	    "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLANG=C\nLC_ALL=C\n");
	unsetenv("ARGO_TEST_SECRET");
	unsetenv("LD_LIBRARY_PATH");
	test_free(res);
}

static void
test_stdin_devnull(void **state)
{
	struct exec_result	*res = new_result();
	char			 buf[256];
	char			*argv[] = { "readlink", "/proc/self/fd/0", NULL };

	(void)state;
	assert_int_equal(exec_run("/usr/bin/readlink", argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	assert_string_equal(out_str(res, buf, sizeof(buf)), "/dev/null\n");
	test_free(res);
}

static void
test_no_inherited_fds(void **state)
{
	struct exec_result	*res = new_result();
	char			 p[PATH_MAX], buf[1024], *pidline, *end;
	char			*argv[] = { p, NULL };
	int			 sock, fd, high;
	long			 pid;

	(void)state;
	/* Deliberately without close-on-exec, as a careless caller would. */
	sock = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(sock >= 0);
	fd = open(DATADIR "/talk.sh", O_RDONLY);
	assert_true(fd >= 0);
	high = dup2(fd, 200);
	assert_int_equal(high, 200);

	helper(p, sizeof(p), "probe.py");
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	out_str(res, buf, sizeof(buf));
	pidline = strstr(buf, "pid ");
	assert_non_null(pidline);
	*pidline = '\0';
	assert_string_equal(buf,
	    "fd 0 /dev/null\nfd 1 pipe\nfd 2 pipe\npgrp-leader yes\n");
	/* ...and it was reaped: no zombie of it is left. */
	pid = strtol(pidline + 4, &end, 10);
	assert_true(pid > 1 && *end == '\n');
	assert_int_equal(waitpid((pid_t)pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	/* The caller's descriptors are untouched. */
	assert_true(fcntl(sock, F_GETFD) != -1);
	assert_true(fcntl(high, F_GETFD) != -1);
	close(sock);
	close(fd);
	close(high);
	test_free(res);
}

static unsigned long long
status_mask(const char *status, const char *key)
{
	const char	*p;
	char		*end;

	p = strstr(status, key);
	assert_non_null(p);
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	return strtoull(p, &end, 16);
}

/*
 * Ignore (or restore) one of the signals glibc keeps for itself, the way a
 * parent that ignored everything would leave it; only where the kernel's
 * sigaction starts with the handler.  Returns 0 if done.
 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || \
    defined(__arm__)
#define HAVE_RAW_SIGACTION	1
#endif

static int
raw_ignore(int sig, unsigned long *saved, int restore)
{
#if defined(HAVE_RAW_SIGACTION) && defined(SYS_rt_sigaction)
	unsigned long	ksa[16];

	if (restore)
		return (int)syscall(SYS_rt_sigaction, sig, saved, NULL,
		    (size_t)8);
	memset(saved, 0, sizeof(ksa));
	if (syscall(SYS_rt_sigaction, sig, NULL, saved, (size_t)8) == -1)
		return -1;
	memcpy(ksa, saved, sizeof(ksa));
	ksa[0] = (unsigned long)SIG_IGN;
	return (int)syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)8);
#else
	(void)sig;
	(void)saved;
	(void)restore;
	return -1;
#endif
}

static void
on_usr1(int sig)
{
	(void)sig;
}

static void
test_signals_reset(void **state)
{
	struct exec_result	*res = new_result();
	struct sigaction	 sa, old_pipe, old_int, old_usr2, old_usr1;
	struct sigaction	 chk;
	sigset_t		 block, old_mask, now_mask;
	char			 buf[8192];
	char			*argv[] = { "cat", "/proc/self/status", NULL };
	unsigned long		 save32[16], save33[16];
	int			 raw32, raw33;

	(void)state;
	/* Make the caller look like a worker: blocked and ignored signals. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGPIPE, &sa, &old_pipe), 0);
	assert_int_equal(sigaction(SIGINT, &sa, &old_int), 0);
	assert_int_equal(sigaction(SIGUSR2, &sa, &old_usr2), 0);
	sa.sa_handler = on_usr1;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_usr1), 0);
	/* What make(1) here, or an init system, may hand down. */
	raw32 = raw_ignore(32, save32, 0) == 0;
	raw33 = raw_ignore(33, save33, 0) == 0;
	if (raw32 && raw33) {
		FILE	*f = fopen("/proc/self/status", "r");
		size_t	 n;

		assert_non_null(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		assert_true((status_mask(buf, "\nSigIgn:") & 0x180000000ULL) ==
		    0x180000000ULL);
	}

	assert_int_equal(exec_run("/bin/cat", argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	out_str(res, buf, sizeof(buf));
	if (status_mask(buf, "\nSigBlk:") != 0 ||
	    status_mask(buf, "\nSigIgn:") != 0)
		fail_msg("child status:\n%s", buf);

	/* The caller's own mask and dispositions are as they were. */
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &now_mask), 0);
	assert_int_equal(sigismember(&now_mask, SIGTERM), 1);
	assert_int_equal(sigismember(&now_mask, SIGHUP), 1);
	assert_int_equal(sigismember(&now_mask, SIGCHLD), 1);
	assert_int_equal(sigismember(&now_mask, SIGALRM), 0);
	assert_int_equal(sigaction(SIGPIPE, NULL, &chk), 0);
	assert_true(chk.sa_handler == SIG_IGN);
	assert_int_equal(sigaction(SIGUSR1, NULL, &chk), 0);
	assert_true(chk.sa_handler == on_usr1);
	assert_int_equal(sigaction(SIGCHLD, NULL, &chk), 0);
	assert_true(chk.sa_handler == SIG_DFL);

	if (raw32)
		assert_int_equal(raw_ignore(32, save32, 1), 0);
	if (raw33)
		assert_int_equal(raw_ignore(33, save33, 1), 0);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	sigaction(SIGUSR1, &old_usr1, NULL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	test_free(res);
}

/* A caller with 0-2 closed: pipes land on 0-2 and must not clobber. */
static void
test_caller_stdio_closed(void **state)
{
	char	p[PATH_MAX];
	pid_t	pid;
	int	st;

	(void)state;
	helper(p, sizeof(p), "talk.sh");
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct exec_result	*res;
		char			*argv[] = { p, "7", NULL };
		int			 ok;

		close(0);
		close(1);
		close(2);
		if ((res = malloc(sizeof(*res))) == NULL)
			_exit(2);
		ok = exec_run(p, argv, 10000, res) == 0 &&
		    res->outcome == EXEC_EXITED && res->status == 7 &&
		    res->outlen == 26 &&
		    memcmp(res->out, "out line one\nout line two\n", 26) == 0 &&
		    res->errlen == 9 && memcmp(res->err, "err line\n", 9) == 0;
		free(res);
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
test_exec_failure(void **state)
{
	struct exec_result	*res;
	char			 p[PATH_MAX], buf[1024], sum[256];
	char			*argv[] = { p, NULL };

	(void)state;
	/* valgrind's forked child cannot survive a failed execve(). */
	if (RUNNING_ON_VALGRIND)
		skip();
	res = new_result();
	helper(p, sizeof(p), "noexec_interp.sh");
	assert_int_equal(exec_run(p, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 127);
	err_str(res, buf, sizeof(buf));
	assert_non_null(strstr(buf, "cannot execute"));
	assert_non_null(strstr(buf, "noexec_interp.sh"));
	assert_non_null(strstr(buf, "No such file or directory"));
	exec_summary(res, sum, sizeof(sum));
	assert_non_null(strstr(sum, "cannot execute"));
	test_free(res);
}

static void
expect_reject(const char *path, const char *why)
{
	struct exec_result	*res = new_result();
	char			 buf[1024];
	char			*argv[] = { "x", NULL };

	assert_int_equal(exec_run(path, argv, 1000, res), -1);
	assert_int_equal(res->outcome, EXEC_ERROR);
	err_str(res, buf, sizeof(buf));
	if (strstr(buf, why) == NULL)
		fail_msg("%s: reason \"%s\" lacks \"%s\"", path, buf, why);
	assert_int_equal(res->outlen, 0);
	test_free(res);
}

static void
test_reject_paths(void **state)
{
	struct exec_result	*res = new_result();
	char			 tmp[] = "/tmp/argo-test-exec-XXXXXX";
	char			*argv[] = { tmp, NULL };
	static const char	 script[] = "#!/bin/sh\nexit 0\n";
	int			 fd;

	(void)state;
	expect_reject(DATADIR "/talk.sh", "not absolute");
	expect_reject("", "not absolute");
	expect_reject("/nonexistent/xl", "No such file");
	expect_reject("/tmp", "not a regular file");
	expect_reject("/dev/null", "not a regular file");

	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, script, sizeof(script) - 1),
	    (ssize_t)(sizeof(script) - 1));
	close(fd);
	assert_int_equal(chmod(tmp, 0644), 0);
	expect_reject(tmp, "not executable");
	assert_int_equal(chmod(tmp, 0775), 0);
	expect_reject(tmp, "writable");
	assert_int_equal(chmod(tmp, 0757), 0);
	expect_reject(tmp, "writable");
	/* The same file is fine once the mode is. */
	assert_int_equal(chmod(tmp, 0755), 0);
	assert_int_equal(exec_run(tmp, argv, 10000, res), 0);
	assert_int_equal(res->outcome, EXEC_EXITED);
	assert_int_equal(res->status, 0);
	unlink(tmp);

	/* No argv, bad timeout. */
	assert_int_equal(exec_run("/bin/true", NULL, 1000, res), -1);
	assert_int_equal(res->outcome, EXEC_ERROR);
	assert_int_equal(exec_run("/bin/true", argv, 0, res), -1);
	assert_int_equal(res->outcome, EXEC_ERROR);
	test_free(res);
}

/* ------------------------------------------------------------ summary */

static void
set_err(struct exec_result *res, enum exec_outcome o, int status,
    const char *err, size_t len)
{
	memset(res, 0, sizeof(*res));
	res->outcome = o;
	res->status = status;
	memcpy(res->err, err, len);
	res->errlen = len;
}

#define SET_ERR(res, o, st, lit) set_err((res), (o), (st), (lit), sizeof(lit) - 1)

static void
test_summary(void **state)
{
	struct exec_result	*res = new_result();
	char			 sum[512], want[256];

	(void)state;
	SET_ERR(res, EXEC_EXITED, 3,
	    "Parsing config from /etc/xen/web1.cfg\n"
	    "libxl: error: libxl_create.c:1234:initiate_domain_create: "
	    "Domain 7:cannot make domain: -6\n"
	    "second line\n");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "libxl: error: libxl_create.c:1234:"
	    "initiate_domain_create: Domain 7:cannot make domain: -6");

	SET_ERR(res, EXEC_EXITED, 1,
	    "Shutting down domain 5\n\n   \t\nWaiting for 1 domains\n"
	    "Rebooting domain 5\nshutdown failed (rc=-10)");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "shutdown failed (rc=-10)");

	/* CRLF and surrounding blanks. */
	SET_ERR(res, EXEC_EXITED, 3,
	    "Parsing config from x.cfg\r\n  Error: Domain 'web1' does "
	    "not exist.  \r\n");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "Error: Domain 'web1' does not exist.");

	/* Only chatter, or nothing: the status. */
	SET_ERR(res, EXEC_EXITED, 1, "Parsing config from /etc/xen/a.cfg\n");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "exit status 1");
	SET_ERR(res, EXEC_EXITED, 4, "");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "exit status 4");
	SET_ERR(res, EXEC_SIGNALED, SIGSEGV, "\n\n");
	exec_summary(res, sum, sizeof(sum));
	snprintf(want, sizeof(want), "killed by signal %d", SIGSEGV);
	assert_string_equal(sum, want);

	/* Control bytes, NUL and DEL become '?'. */
	SET_ERR(res, EXEC_EXITED, 1, "bad\x1b[31mred\x01\x7f\tx\0y\r\n");
	exec_summary(res, sum, sizeof(sum));
	assert_string_equal(sum, "bad?[31mred???x?y");
	test_free(res);
}

static void
test_summary_bounds(void **state)
{
	struct exec_result	*res = new_result();
	char			 sum[512], line[600];
	size_t			 i;

	(void)state;
	memset(line, 'x', 500);
	line[500] = '\n';
	set_err(res, EXEC_EXITED, 1, line, 501);
	exec_summary(res, sum, sizeof(sum));
	assert_int_equal(strlen(sum), 200);

	/* A small buffer is respected. */
	memset(sum, '#', sizeof(sum));
	exec_summary(res, sum, 10);
	assert_string_equal(sum, "xxxxxxxxx");
	assert_int_equal(sum[10], '#');
	exec_summary(res, sum, 1);
	assert_string_equal(sum, "");
	sum[0] = '#';
	exec_summary(res, sum, 0);
	assert_int_equal(sum[0], '#');

	/* A cut never splits a UTF-8 sequence. */
	memset(line, 'a', 199);
	memcpy(line + 199, "\xc3\xa9zz\n", 5);
	set_err(res, EXEC_EXITED, 1, line, 204);
	exec_summary(res, sum, sizeof(sum));
	assert_int_equal(strlen(sum), 199);

	/* A full buffer without a newline. */
	memset(res, 0, sizeof(*res));
	res->outcome = EXEC_EXITED;
	res->status = 1;
	for (i = 0; i < sizeof(res->err); i++)
		res->err[i] = 'z';
	res->errlen = sizeof(res->err);
	res->err_trunc = 1;
	exec_summary(res, sum, sizeof(sum));
	assert_int_equal(strlen(sum), 200);
	assert_int_equal(sum[0], 'z');
	test_free(res);
}

static int
setup(void **state)
{
	static const char *const helpers[] = {
		"talk.sh", "signal.sh", "flood.sh", "sleep.sh",
		"ignore_term.sh", "bg.sh", "noexec_interp.sh", "probe.py",
	};
	struct stat	st;
	char		p[PATH_MAX];
	size_t		i;
	int		n;

	(void)state;
	if (getcwd(p, sizeof(p)) == NULL)
		return -1;
	n = snprintf(datadir, sizeof(datadir), "%s/%s", p, DATADIR);
	if (n < 0 || (size_t)n >= sizeof(datadir))
		return -1;
	/*
	 * A checkout made under umask 002 has group-writable helpers, which
	 * exec_run rightly refuses; git tracks only the x bit.
	 */
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		helper(p, sizeof(p), helpers[i]);
		if (stat(p, &st) == -1)
			return -1;
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    chmod(p, st.st_mode & 0755) == -1)
			return -1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit0_streams),
		cmocka_unit_test(test_exit_n),
		cmocka_unit_test(test_signal_segv),
		cmocka_unit_test(test_signal_kill),
		cmocka_unit_test(test_flood),
		cmocka_unit_test(test_timeout_term),
		cmocka_unit_test(test_timeout_kill),
		cmocka_unit_test(test_background_stdout),
		cmocka_unit_test(test_background_stderr),
		cmocka_unit_test(test_background_stdin),
		cmocka_unit_test(test_background_flood),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_stdin_devnull),
		cmocka_unit_test(test_no_inherited_fds),
		cmocka_unit_test(test_signals_reset),
		cmocka_unit_test(test_caller_stdio_closed),
		cmocka_unit_test(test_exec_failure),
		cmocka_unit_test(test_reject_paths),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_bounds),
	};

	/* Orphans of the helpers come back to us, to be reaped by pid. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	alarm(WATCHDOG_S);
	return cmocka_run_group_tests(tests, setup, NULL);
}
