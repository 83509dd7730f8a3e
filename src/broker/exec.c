/*
 * exec.c: run the toolstack (DESIGN.md section 5; STYLE.md 2.12).
 *
 * The only place in argo-server that runs another program: in the broker's
 * children (broker_job.c), never in a worker.  It runs as root on a
 * hypervisor host, so it trusts nothing it inherited: the child
 * gets a fixed environment, default signal dispositions, an empty signal
 * mask, /dev/null on stdin, its own process group and no descriptor but
 * its two output pipes.  There is no shell anywhere: argv goes to execve()
 * as the caller built it.
 *
 * Guarantees to the caller: exec_run() returns once the child has been
 * reaped (no zombie), after at most timeout_ms + ARGO_KILL_GRACE_MS plus a
 * short drain, whatever the child or anything it leaves behind does with
 * the pipes; at most ARGO_MAX_TOOL_OUTPUT bytes are kept per stream.  It
 * installs no signal handler and leaves the caller's signal mask and
 * dispositions as they were; it relies on the caller not reaping children
 * behind its back (SIGCHLD at its default, no waitpid(-1) elsewhere).
 *
 * Left to the caller: logging, the reply, and the choice of argv (names
 * only from the instance scan, never starting with '-').
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"

/*
 * Once the child has exited, whatever is still queued in the pipes is read
 * until they stay silent this long, and never longer than EXEC_DRAIN_MAX_MS:
 * a background process the child left behind (xl's domain monitor, a
 * careless wrapper) may hold the write ends open for minutes.
 */
#define EXEC_DRAIN_QUIET_MS	100
#define EXEC_DRAIN_MAX_MS	1000
/* Without a pidfd (kernel < 5.3) the exit is noticed by polling this often. */
#define EXEC_TICK_MS		50
#define EXEC_MAX_TIMEOUT_MS	(7L * 24 * 3600 * 1000)

#ifdef SYS_pidfd_open
static int	no_pidfd;
#endif

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
set_error(struct exec_result *res, long long start, const char *fmt,
    const char *path, int err)
{
	int	n;

	res->outcome = EXEC_ERROR;
	res->status = 0;
	res->outlen = 0;
	res->out_trunc = 0;
	res->err_trunc = 0;
	if (err != 0)
		n = snprintf(res->err, sizeof(res->err), fmt, path,
		    strerror(err));
	else
		n = snprintf(res->err, sizeof(res->err), fmt, path);
	if (n < 0)
		n = 0;
	res->errlen = (size_t)n < sizeof(res->err) ? (size_t)n :
	    sizeof(res->err) - 1;
	res->ms = (long)(now_ms() - start);
	return -1;
}

/* Has the child exited?  Looks without reaping, so its pid stays pinned. */
static int
child_exited(pid_t pid)
{
	siginfo_t	si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1)
		return errno != EINTR;	/* ECHILD: gone, nothing to wait for */
	return si.si_pid != 0;
}

/* Blocking reap; -1 if the status is lost (someone else reaped it). */
static int
reap(pid_t pid, int *status)
{
	for (;;) {
		if (waitpid(pid, status, 0) == pid)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * Signal the child's process group.  While the child is unreaped (alive or
 * a zombie) its pid pins the group id, so this can never hit a stranger.
 * If the group does not exist (setpgid failed), signal the child alone.
 */
static void
signal_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) == -1 && errno == ESRCH)
		(void)kill(pid, sig);
}

/* One run, from fork to reap. */
struct run {
	pid_t		 pid;
	int		 pidfd;		/* -1: none (tick instead) */
	struct exec_stream so, se;
	int		 status;
	int		 timed_out, reaped, lost;
};

int
exec_tool_ok(const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (path == NULL || path[0] != '/') {
		(void)snprintf(err, errlen, "toolstack path is not absolute: %s",
		    path == NULL ? "(null)" : path);
		return -1;
	}
	/* stat(), not lstat(): /usr/sbin/xl is a symlink on Debian. */
	if (stat(path, &st) == -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)snprintf(err, errlen,
		    "%s: group or world writable, refusing to run it", path);
		return -1;
	}
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == -1) {
		(void)snprintf(err, errlen, "%s: not executable: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* What must hold before anything is forked. */
static int
check_tool(const char *path, char *const argv[], long timeout_ms,
    struct exec_result *res, long long start)
{
	char	why[ARGO_ERR_LEN];

	if (exec_tool_ok(path, why, sizeof(why)) == -1)
		return set_error(res, start, "%s", why, 0);
	if (argv == NULL || argv[0] == NULL)
		return set_error(res, start, "%s: empty argument vector", path,
		    0);
	if (timeout_ms <= 0)
		return set_error(res, start, "%s: timeout must be positive",
		    path, 0);
	return 0;
}

/* Pipes, fork, and the child on its way to execve(). */
static int
start_child(const char *path, char *const argv[], struct exec_result *res,
    long long start, struct run *run)
{
	sigset_t	all, old;
	int		outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int		nullfd, saved;
	pid_t		pid;

	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return set_error(res, start, "%s: /dev/null: %s", path, errno);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		saved = errno;
		goto fail;
	}
	/* Only our read ends: the child's write ends must stay blocking. */
	if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		saved = errno;
		goto fail;
	}
	/*
	 * Block every signal across fork(), so that no handler of the
	 * caller's runs in the child before the child resets them.
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		exec_child(path, argv, nullfd, outp[1], errp[1]);
		/* NOTREACHED */
	}
	saved = errno;
	if (pid != -1)
		(void)setpgid(pid, pid);	/* also here: no race with kill */
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1)
		goto fail;
	exec_close(&nullfd);
	exec_close(&outp[1]);
	exec_close(&errp[1]);

	memset(run, 0, sizeof(*run));
	run->pid = pid;
	run->pidfd = -1;
#ifdef SYS_pidfd_open
	/*
	 * The pidfd turns readable when the child exits, even while something
	 * it left behind still holds the pipes.  Always close-on-exec.  Once
	 * ENOSYS (kernel < 5.3, valgrind <= 3.19), stop asking: the tick
	 * does the same job.
	 */
	if (!no_pidfd) {
		run->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (run->pidfd == -1 && errno == ENOSYS)
			no_pidfd = 1;
	}
#endif
	run->so.fd = outp[0];
	run->so.buf = res->out;
	run->so.cap = sizeof(res->out);
	run->so.len = &res->outlen;
	run->so.trunc = &res->out_trunc;
	run->se.fd = errp[0];
	run->se.buf = res->err;
	run->se.cap = sizeof(res->err);
	run->se.len = &res->errlen;
	run->se.trunc = &res->err_trunc;
	return 0;

fail:
	exec_close(&nullfd);
	exec_close(&outp[0]);
	exec_close(&outp[1]);
	exec_close(&errp[0]);
	exec_close(&errp[1]);
	return set_error(res, start, "%s: cannot start: %s", path, saved);
}

/* Collect output until the child exits or the deadline passes. */
static void
wait_child(struct run *run, long long deadline)
{
	long long	now, end;
	pid_t		r;

	for (;;) {
		r = waitpid(run->pid, &run->status, WNOHANG);
		if (r == run->pid) {
			run->reaped = 1;
			return;
		}
		if (r == -1 && errno != EINTR) {
			run->lost = 1;	/* SIGCHLD ignored by the caller? */
			return;
		}
		now = now_ms();
		if (now >= deadline) {
			run->timed_out = 1;
			return;
		}
		end = deadline - now;
		if (run->pidfd == -1 && end > EXEC_TICK_MS)
			end = EXEC_TICK_MS;
		(void)exec_pump(&run->so, &run->se, run->pidfd, end);
	}
}

/* Past the deadline: TERM, a grace period, then KILL, and reap. */
static void
kill_child(struct run *run)
{
	long long	end, now, quiet;

	signal_group(run->pid, SIGTERM);
	end = now_ms() + ARGO_KILL_GRACE_MS;
	while (!child_exited(run->pid) && (now = now_ms()) < end) {
		quiet = end - now;
		if (run->pidfd == -1 && quiet > EXEC_TICK_MS)
			quiet = EXEC_TICK_MS;
		(void)exec_pump(&run->so, &run->se, run->pidfd, quiet);
	}
	/*
	 * Also when the child went on SIGTERM: members of its group that
	 * ignore SIGTERM must not outlive the timeout.  The unreaped child
	 * still pins the group id.
	 */
	signal_group(run->pid, SIGKILL);
	if (reap(run->pid, &run->status) == 0)
		run->reaped = 1;
	else
		run->lost = 1;
}

/* After the exit: read what is queued; stop once quiet, whoever holds on. */
static void
drain(struct run *run)
{
	long long	end, quiet, now;

	end = now_ms() + EXEC_DRAIN_MAX_MS;
	quiet = now_ms() + EXEC_DRAIN_QUIET_MS;
	while (run->so.fd != -1 || run->se.fd != -1) {
		now = now_ms();
		if (now >= end || now >= quiet)
			break;
		if (exec_pump(&run->so, &run->se, -1, (end < quiet ? end : quiet) -
		    now))
			quiet = now_ms() + EXEC_DRAIN_QUIET_MS;
	}
}

int
exec_run(const char *path, char *const argv[], long timeout_ms,
    struct exec_result *res)
{
	struct run	run;
	long long	start;

	start = now_ms();
	res->outcome = EXEC_ERROR;
	res->status = 0;
	res->ms = 0;
	res->outlen = res->errlen = 0;
	res->out_trunc = res->err_trunc = 0;
	if (check_tool(path, argv, timeout_ms, res, start) == -1 ||
	    start_child(path, argv, res, start, &run) == -1)
		return -1;

	if (timeout_ms > EXEC_MAX_TIMEOUT_MS)
		timeout_ms = EXEC_MAX_TIMEOUT_MS;	/* no overflow below */
	wait_child(&run, start + timeout_ms);
	if (run.timed_out)
		kill_child(&run);
	else if (run.reaped)
		drain(&run);
	exec_close(&run.so.fd);
	exec_close(&run.se.fd);
	exec_close(&run.pidfd);
	res->ms = (long)(now_ms() - start);

	if (run.lost || !run.reaped)
		return set_error(res, start, "%s: exit status lost", path, 0);
	if (WIFSIGNALED(run.status)) {
		res->outcome = EXEC_SIGNALED;
		res->status = WTERMSIG(run.status);
	} else {
		res->outcome = EXEC_EXITED;
		res->status = WEXITSTATUS(run.status);
	}
	/* On timeout, status keeps the signal or exit code that ended it. */
	if (run.timed_out)
		res->outcome = EXEC_TIMEOUT;
	return 0;
}
