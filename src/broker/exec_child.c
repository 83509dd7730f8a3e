/*
 * exec_child.c: the toolstack's side of exec_run(), between fork() and
 * execve().  Runs in the broker's child with every signal blocked (see
 * exec.c), so only async-signal-safe calls: it resets what the daemon could
 * pass on (signal dispositions, the mask, descriptors, the environment),
 * puts the tool in its own process group and executes it.  A failure is
 * one line on the tool's stderr pipe and exit status 127.
 */
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"

/* Writable arrays rather than literals: execve() takes char *const []. */
static char env_path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
static char env_lang[] = "LANG=C";
static char env_lc_all[] = "LC_ALL=C";
static char *const exec_envp[] = { env_path, env_lang, env_lc_all, NULL };

/* Async-signal-safe append for the child's last words. */
static size_t
child_append(char *buf, size_t size, size_t len, const char *s)
{
	while (*s != '\0' && len + 1 < size)
		buf[len++] = *s++;
	buf[len] = '\0';
	return len;
}

static void __attribute__((noreturn))
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
void
exec_child(const char *path, char *const argv[], int nullfd, int outfd,
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
