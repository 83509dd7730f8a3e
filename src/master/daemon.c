/*
 * daemon.c: detach and pid file.  The detaching parent waits on a pipe for
 * the child's "ready" so that its exit status means "the service is up".
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

static int	ready_fd = -1;
static pid_t	ready_pid;

/*
 * A fatal error between detaching and "ready" would otherwise reach only
 * syslog: hand it to the waiting parent, which prints it on the terminal
 * that started us.  Workers forked meanwhile share the pipe but not this.
 */
static void
report_failure(const char *msg)
{
	char	line[1100];
	int	n;

	if (ready_fd == -1 || getpid() != ready_pid)
		return;
	n = snprintf(line, sizeof(line), "e%s\n", msg);
	/* Left open: the parent waits for our exit, which closes it. */
	if (n > 0 && write(ready_fd, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) == -1) {
		/* Nothing to do: the parent then says "see the system log". */
	}
	ready_pid = 0;
}

/*
 * The detaching parent: exit 0 on "r", else 1 with the child's reason once
 * the child has exited (EOF), so that nothing of ours is left running when
 * the starter sees the failure.
 */
static void __attribute__((noreturn))
wait_ready(int fd)
{
	char	buf[1100], scratch[256];
	size_t	len = 0;
	ssize_t	n;

	for (;;) {
		if (len < sizeof(buf))
			n = read(fd, buf + len, sizeof(buf) - len);
		else
			n = read(fd, scratch, sizeof(scratch));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < sizeof(buf))
			len += (size_t)n;
		if (buf[0] == 'r')
			_exit(0);
	}
	if (len > 1 && buf[0] == 'e')
		(void)fprintf(stderr, "argo-server: %.*s", (int)(len - 1),
		    buf + 1);
	else
		(void)fprintf(stderr, "argo-server: exited before it was "
		    "ready (see the system log)\n");
	_exit(1);
}

void
daemon_detach(void)
{
	int	p[2], fd;
	pid_t	pid;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		wait_ready(p[0]);
	}
	close(p[0]);
	ready_fd = p[1];
	ready_pid = getpid();
	log_on_fatal(report_failure);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	umask(027);
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		fatal("dup2");
	if (fd > STDERR_FILENO)
		close(fd);
}

void
daemon_ready(void)
{
	if (ready_fd == -1)
		return;
	/* Should it fail, the parent sees EOF, exits 1 and says why. */
	if (write(ready_fd, "r", 1) != 1)
		log_warn("cannot tell the starting process we are ready");
	close(ready_fd);
	ready_fd = -1;
	log_on_fatal(NULL);
}

/*
 * Root opens this path, often in a directory others can write to: a
 * symbolic link there is refused, not followed (it would aim root's write
 * at any file); a FIFO or a device never blocks the start (O_NONBLOCK:
 * a FIFO with no reader fails at once) and is refused after open; nothing
 * is truncated before the file is known to be a regular file with one
 * link (a hard link to /etc/shadow is a regular file too).  A stale pid
 * file left by a crash is such a file: it is reused, as init scripts and
 * admins expect.
 */
int
pidfile_open(const char *path, char *err, size_t errlen)
{
	struct stat	st;
	const char	*why;
	int		fd;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0644);
	if (fd == -1) {
		if (errno == ELOOP && lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode))
			why = "a symbolic link: not followed";
		else if (errno == ENXIO)
			why = "not a regular file (a FIFO or a device)";
		else
			why = strerror(errno);
		(void)snprintf(err, errlen, "cannot write pid file %s: %s", path,
		    why);
		return (-1);
	}
	if (fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_nlink > 1)
		why = "has other hard links: not overwritten";
	else
		return (fd);
	(void)snprintf(err, errlen, "cannot write pid file %s: %s", path,
	    why);
	(void)close(fd);
	return (-1);
}

int
pidfile_write(int fd, const char *path)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)n, 0) != n) {
		int saved = errno;

		close(fd);
		/* An empty or partial pid file would mislead init scripts. */
		(void)unlink(path);
		errno = saved ? saved : EIO;
		return (-1);
	}
	return (close(fd));
}

void
pidfile_remove(const char *path)
{
	if (path != NULL && *path != '\0' && unlink(path) == -1 &&
	    errno != ENOENT)
		log_warn("cannot remove pid file %s", path);
}
