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

void
daemon_detach(void)
{
	int	p[2], fd;
	pid_t	pid;
	ssize_t	n;
	char	c = 0;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		/* EOF without a byte: the child died before it was ready. */
		_exit(n == 1 && c == 'r' ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
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
	(void)write(ready_fd, "r", 1);
	close(ready_fd);
	ready_fd = -1;
}

int
pidfile_write(const char *path)
{
	char	buf[32];
	int	fd, n;

	if (path == NULL || *path == '\0')
		return (0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1)
		return (-1);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
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
