/*
 * exec.c: run the toolstack (DESIGN.md section 5; STYLE.md 2.12).
 *
 * The only place in argo-server that runs another program.  It runs as
 * root on a hypervisor host, so it trusts nothing it inherited: the child
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
#define EXEC_CHUNK		16384
#define EXEC_MAX_TIMEOUT_MS	(7L * 24 * 3600 * 1000)
#define EXEC_SUMMARY_MAX	200

/* Writable arrays rather than literals: execve() takes char *const []. */
static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lang[] = "LANG=C";
static char env_lc_all[] = "LC_ALL=C";
static char *const exec_envp[] = { env_path, env_lang, env_lc_all, NULL };

#ifdef SYS_pidfd_open
static int	no_pidfd;
#endif

struct stream {
	int	 fd;		/* read end, -1 once at EOF */
	char	*buf;
	size_t	 cap;
	size_t	*len;
	int	*trunc;
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
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

/*
 * One read from a readable pipe.  Returns 1 if bytes came (kept or
 * dropped), 0 at EOF or on an error (the stream is then closed), -1 if
 * nothing was there after all.
 */
static int
stream_read(struct stream *s)
{
	char	 scratch[EXEC_CHUNK];
	char	*dst;
	size_t	 room;
	ssize_t	 n;

	for (;;) {
		if (*s->len < s->cap) {
			dst = s->buf + *s->len;
			room = s->cap - *s->len;
		} else {
			/* Keep reading so the child never blocks on us. */
			dst = scratch;
			room = sizeof(scratch);
		}
		n = read(s->fd, dst, room);
		if (n > 0) {
			if (dst == scratch)
				*s->trunc = 1;
			else
				*s->len += (size_t)n;
			return 1;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		close_fd(&s->fd);
		return 0;
	}
}

/*
 * poll() the open streams and, if pidfd != -1, the pidfd too (only to wake
 * up when the child exits), for at most wait_ms; read what is ready.
 * Returns 1 if any bytes came, else 0.
 */
static int
pump(struct stream *so, struct stream *se, int pidfd, long long wait_ms)
{
	struct pollfd	 pfd[3];
	struct stream	*map[3];
	nfds_t		 n = 0, i;
	int		 got = 0, r;

	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > 60000)
		wait_ms = 60000;	/* re-checked by the caller's loop */
	if (so->fd != -1) {
		pfd[n].fd = so->fd;
		pfd[n].events = POLLIN;
		map[n++] = so;
	}
	if (se->fd != -1) {
		pfd[n].fd = se->fd;
		pfd[n].events = POLLIN;
		map[n++] = se;
	}
	if (pidfd != -1) {
		pfd[n].fd = pidfd;
		pfd[n].events = POLLIN;
		map[n++] = NULL;
	}
	r = poll(pfd, n, (int)wait_ms);
	if (r <= 0)
		return 0;	/* timeout, EINTR: the caller's loop decides */
	for (i = 0; i < n; i++) {
		/* The caller's waitpid() looks at the child either way. */
		if (pfd[i].revents == 0 || map[i] == NULL)
			continue;
		if (stream_read(map[i]) == 1)
			got = 1;
	}
	return got;
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

/* Async-signal-safe append for the child's last words. */
static size_t
child_append(char *buf, size_t size, size_t len, const char *s)
{
	while (*s != '\0' && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static void
child_fail(const char *what, const char *path, int err)
{
	char		 msg[512], num[16];
	const char	*reason;
	size_t		 len = 0, i = sizeof(num) - 1;
	unsigned int	 u = (unsigned int)err;

	switch (err) {
	case ENOENT:
		reason = "No such file or directory";
		break;
	case EACCES:
		reason = "Permission denied";
		break;
	case ENOEXEC:
		reason = "Exec format error";
		break;
	case ENOMEM:
		reason = "Cannot allocate memory";
		break;
	default:
		num[i] = '\0';
		do {
			num[--i] = (char)('0' + u % 10);
			u /= 10;
		} while (u != 0 && i > 6);
		memcpy(&num[i - 6], "errno ", 6);
		reason = &num[i - 6];
		break;
	}
	len = child_append(msg, sizeof(msg), len, "argo-server: ");
	len = child_append(msg, sizeof(msg), len, what);
	len = child_append(msg, sizeof(msg), len, " ");
	len = child_append(msg, sizeof(msg), len, path);
	len = child_append(msg, sizeof(msg), len, ": ");
	len = child_append(msg, sizeof(msg), len, reason);
	len = child_append(msg, sizeof(msg), len, "\n");
	if (write(STDERR_FILENO, msg, len) == -1) {
		/* nowhere left to complain */
	}
	_exit(127);
}

static void
close_from_3(void)
{
#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	closefrom(3);
#else
	long	fd, max;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 1048576)
		max = 1048576;
	for (fd = 3; fd < max; fd++)
		(void)close((int)fd);
#endif
}

/*
 * glibc's sigaction() refuses the signals it keeps for itself (32 and 33,
 * SIGCANCEL and SIGSETXID), yet an ignored disposition of them, inherited
 * from whoever started us, would reach the toolstack.  Ask the kernel
 * directly.  An all-zero kernel sigaction is SIG_DFL, no flags, an empty
 * mask, whatever the architecture's field order, so zeros are all we pass;
 * the buffer is larger than any architecture's structure.  The kernel's
 * sigset is 8 bytes, 16 on MIPS.
 */
static void
reset_reserved(int sig)
{
#ifdef SYS_rt_sigaction
	unsigned long	ksa[16];

	memset(ksa, 0, sizeof(ksa));
	if (syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)8) == -1 &&
	    errno == EINVAL)
		(void)syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)16);
#else
	(void)sig;
#endif
}

/*
 * In the child, between fork() and execve().  All signals are blocked on
 * entry (see exec_run), so none of the caller's handlers can run here.
 * Only async-signal-safe calls.
 */
static void
child_exec(const char *path, char *const argv[], int nullfd, int outfd,
    int errfd)
{
	struct sigaction	sa;
	sigset_t		empty;
	int			sig, in, out, err;

	/* Own group, so a timeout can kill whatever the tool spawned. */
	(void)setpgid(0, 0);

	/* Ignored dispositions survive execve(); reset every one. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		if (sigaction(sig, &sa, NULL) == -1)
			reset_reserved(sig);
	}

	/*
	 * Lift the three sources above 2 first: if the caller ran with 0-2
	 * closed, a pipe may sit on 0, 1 or 2 and one dup2() would clobber
	 * another's source.  dup2() onto a different number clears
	 * FD_CLOEXEC, so the targets survive the exec and nothing else does.
	 */
	in = fcntl(nullfd, F_DUPFD_CLOEXEC, 3);
	out = fcntl(outfd, F_DUPFD_CLOEXEC, 3);
	err = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
	if (in == -1 || out == -1 || err == -1 ||
	    dup2(in, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 ||
	    dup2(err, STDERR_FILENO) == -1)
		child_fail("cannot set up descriptors for", path, errno);

	/* Nothing of the daemon's (sockets, config, log) reaches the tool. */
	close_from_3();

	sigemptyset(&empty);
	(void)sigprocmask(SIG_SETMASK, &empty, NULL);

	execve(path, argv, exec_envp);
	child_fail("cannot execute", path, errno);
	/* NOTREACHED */
}

int
exec_run(const char *path, char *const argv[], long timeout_ms,
    struct exec_result *res)
{
	struct stat	 st;
	struct stream	 so, se;
	sigset_t	 all, old;
	long long	 start, deadline, end, quiet, now;
	int		 outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int		 nullfd = -1, pidfd = -1, status = 0, saved;
	int		 timed_out = 0, reaped = 0, lost = 0;
	pid_t		 pid, r;

	start = now_ms();
	res->outcome = EXEC_ERROR;
	res->status = 0;
	res->ms = 0;
	res->outlen = res->errlen = 0;
	res->out_trunc = res->err_trunc = 0;

	if (path == NULL || path[0] != '/')
		return set_error(res, start, "toolstack path is not absolute: %s",
		    path == NULL ? "(null)" : path, 0);
	if (argv == NULL || argv[0] == NULL)
		return set_error(res, start, "%s: empty argument vector", path,
		    0);
	if (timeout_ms <= 0)
		return set_error(res, start, "%s: timeout must be positive",
		    path, 0);
	/* stat(), not lstat(): /usr/sbin/xl is a symlink on Debian. */
	if (stat(path, &st) == -1)
		return set_error(res, start, "%s: %s", path, errno);
	if (!S_ISREG(st.st_mode))
		return set_error(res, start, "%s: not a regular file", path, 0);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return set_error(res, start,
		    "%s: group or world writable, refusing to run it", path, 0);
	if (faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) == -1)
		return set_error(res, start, "%s: not executable: %s", path,
		    errno);

	if ((nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1)
		return set_error(res, start, "%s: /dev/null: %s", path, errno);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errp, O_CLOEXEC) == -1) {
		saved = errno;
		goto fail_fds;
	}
	/* Only our read ends: the child's write ends must stay blocking. */
	if (fcntl(outp[0], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(errp[0], F_SETFL, O_NONBLOCK) == -1) {
		saved = errno;
		goto fail_fds;
	}

	/*
	 * Block every signal across fork(), so that no handler of the
	 * caller's runs in the child before the child resets them.
	 */
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		child_exec(path, argv, nullfd, outp[1], errp[1]);
		/* NOTREACHED */
	}
	saved = errno;
	if (pid != -1)
		(void)setpgid(pid, pid);	/* also here: no race with kill */
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1)
		goto fail_fds;

	close_fd(&nullfd);
	close_fd(&outp[1]);
	close_fd(&errp[1]);

#ifdef SYS_pidfd_open
	/*
	 * The pidfd turns readable when the child exits, even while something
	 * it left behind still holds the pipes.  Always close-on-exec.  Once
	 * ENOSYS (kernel < 5.3, valgrind <= 3.19), stop asking: the tick below
	 * does the same job.
	 */
	if (!no_pidfd) {
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pidfd == -1 && errno == ENOSYS)
			no_pidfd = 1;
	}
#endif

	so.fd = outp[0];
	so.buf = res->out;
	so.cap = sizeof(res->out);
	so.len = &res->outlen;
	so.trunc = &res->out_trunc;
	se.fd = errp[0];
	se.buf = res->err;
	se.cap = sizeof(res->err);
	se.len = &res->errlen;
	se.trunc = &res->err_trunc;
	outp[0] = errp[0] = -1;		/* owned by so and se now */

	/* Run: collect output until the child exits or the deadline. */
	if (timeout_ms > EXEC_MAX_TIMEOUT_MS)
		timeout_ms = EXEC_MAX_TIMEOUT_MS;	/* no overflow below */
	deadline = start + timeout_ms;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid) {
			reaped = 1;
			break;
		}
		if (r == -1 && errno != EINTR) {
			lost = 1;	/* SIGCHLD ignored by the caller? */
			break;
		}
		now = now_ms();
		if (now >= deadline) {
			timed_out = 1;
			break;
		}
		end = deadline - now;
		if (pidfd == -1 && end > EXEC_TICK_MS)
			end = EXEC_TICK_MS;
		(void)pump(&so, &se, pidfd, end);
	}

	if (timed_out) {
		signal_group(pid, SIGTERM);
		end = now_ms() + ARGO_KILL_GRACE_MS;
		while (!child_exited(pid) && (now = now_ms()) < end) {
			quiet = end - now;
			if (pidfd == -1 && quiet > EXEC_TICK_MS)
				quiet = EXEC_TICK_MS;
			(void)pump(&so, &se, pidfd, quiet);
		}
		/*
		 * Also when the child went on SIGTERM: members of its group
		 * that ignore SIGTERM must not outlive the timeout.  The
		 * unreaped child still pins the group id.
		 */
		signal_group(pid, SIGKILL);
		if (reap(pid, &status) == 0)
			reaped = 1;
		else
			lost = 1;
	} else if (reaped) {
		/* Drain what is queued; stop once quiet, whoever holds on. */
		end = now_ms() + EXEC_DRAIN_MAX_MS;
		quiet = now_ms() + EXEC_DRAIN_QUIET_MS;
		while (so.fd != -1 || se.fd != -1) {
			now = now_ms();
			if (now >= end || now >= quiet)
				break;
			if (pump(&so, &se, -1, (end < quiet ? end : quiet) - now))
				quiet = now_ms() + EXEC_DRAIN_QUIET_MS;
		}
	}

	close_fd(&so.fd);
	close_fd(&se.fd);
	close_fd(&pidfd);
	res->ms = (long)(now_ms() - start);

	if (lost || !reaped)
		return set_error(res, start, "%s: exit status lost", path, 0);
	if (WIFSIGNALED(status)) {
		res->outcome = EXEC_SIGNALED;
		res->status = WTERMSIG(status);
	} else {
		res->outcome = EXEC_EXITED;
		res->status = WEXITSTATUS(status);
	}
	/* On timeout, status keeps the signal or exit code that ended it. */
	if (timed_out)
		res->outcome = EXEC_TIMEOUT;
	return 0;

fail_fds:
	close_fd(&nullfd);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	return set_error(res, start, "%s: cannot start: %s", path, saved);
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* xl's progress lines, printed on stderr even when all went well. */
static int
is_chatter(const char *p, size_t len)
{
	static const char *const chatter[] = {
		"Parsing config from",
		"Shutting down domain",
		"Rebooting domain",
		"Waiting for",
	};
	size_t	i, n;

	for (i = 0; i < sizeof(chatter) / sizeof(chatter[0]); i++) {
		n = strlen(chatter[i]);
		if (len >= n && memcmp(p, chatter[i], n) == 0)
			return 1;
	}
	return 0;
}

void
exec_summary(const struct exec_result *res, char *buf, size_t len)
{
	const char	*p, *e, *nl;
	size_t		 n, i, max;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	p = res->err;
	e = res->err + (res->errlen < sizeof(res->err) ? res->errlen :
	    sizeof(res->err));
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		/* Trim blanks (and the CR of a CRLF) at both ends. */
		while (p < nl && is_blank((unsigned char)*p))
			p++;
		n = (size_t)(nl - p);
		while (n > 0 && is_blank((unsigned char)p[n - 1]))
			n--;
		if (n > 0 && !is_chatter(p, n)) {
			max = len - 1 < EXEC_SUMMARY_MAX ? len - 1 :
			    EXEC_SUMMARY_MAX;
			if (n > max) {
				n = max;
				/* Do not cut a UTF-8 sequence in half. */
				while (n > 0 &&
				    ((unsigned char)p[n] & 0xc0) == 0x80)
					n--;
			}
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)p[i];

				/* An int holding '?' or (char)c: no narrowing. */
				/* NOLINTNEXTLINE(bugprone-narrowing-conversions) */
				buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			}
			buf[n] = '\0';
			return;
		}
		p = nl + 1;
	}
	switch (res->outcome) {
	case EXEC_EXITED:
		(void)snprintf(buf, len, "exit status %d", res->status);
		break;
	case EXEC_SIGNALED:
		(void)snprintf(buf, len, "killed by signal %d", res->status);
		break;
	case EXEC_TIMEOUT:
		(void)snprintf(buf, len, "timed out");
		break;
	case EXEC_ERROR:
	default:
		(void)snprintf(buf, len, "could not run the toolstack");
		break;
	}
}
