/*
 * transport.c: local sockets and ssh children (transport.h).
 *
 * No crypto of ours: ssh authenticates the person and carries the bytes.
 * Its standard error is a pipe of ours, so that a host ssh could not reach
 * is that host's one error line ("ssh: connect to host ...: Connection
 * refused"), never noise on the terminal between other hosts' replies.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport.h"
#include "xutil.h"

#define SSH_MAX		ARGO_CLIENT_MAX_JOBS	/* children at once */
#define WHY_WAIT_MS	2000	/* for ssh to exit after its socket closed */

struct child {
	int	c_fd;		/* our end of its stdin/stdout; -1: free */
	int	c_err;		/* its stderr */
	pid_t	c_pid;
	char	c_line[ARGO_CLIENT_ERR];	/* the last line it said */
	size_t	c_len;
};

static struct child	kids[SSH_MAX];
static int		kids_ready;

static struct child *
find(int fd)
{
	int	i;

	if (!kids_ready || fd < 0)
		return (NULL);
	for (i = 0; i < SSH_MAX; i++)
		if (kids[i].c_fd == fd)
			return (&kids[i]);
	return (NULL);
}

static int
open_unix(const struct host *h, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	util_strlcpy(sun.sun_path, h->h_name, sizeof(sun.sun_path));
	/* Blocking connect: a local socket answers at once or refuses. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) == -1) {
		(void)snprintf(err, errlen, "connect: %s", strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return (-1);
	}
	return (fd);
}

static int
open_ssh(const struct host *h, char *err, size_t errlen)
{
	struct child	*k = NULL;
	char		**argv;
	int		 sv[2], ep[2], i;
	pid_t		 pid;

	if (!kids_ready) {
		for (i = 0; i < SSH_MAX; i++)
			kids[i].c_fd = -1;
		kids_ready = 1;
	}
	for (i = 0; i < SSH_MAX && k == NULL; i++)
		if (kids[i].c_fd == -1)
			k = &kids[i];
	if (k == NULL) {
		(void)snprintf(err, errlen, "too many ssh at once");
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		goto fail;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		goto fail;
	}
	argv = transport_ssh_argv(h);
	if ((pid = fork()) == 0) {
		sigset_t none;

		/* The client blocks its lookup signal: not ssh's business. */
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(sv[1], 0) == -1 || dup2(sv[1], 1) == -1 ||
		    dup2(ep[1], 2) == -1)
			_exit(127);
		/*
		 * The user's ssh, found on the user's PATH as git and
		 * virsh find it: the client runs with the user's own rights
		 * only, and ARGO_SSH may name any program (DESIGN 8).
		 */
		(void)execvp(argv[0], argv);
		(void)dprintf(2, "%s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	argv_free(argv);
	(void)close(sv[1]);
	(void)close(ep[1]);
	if (pid == -1) {
		(void)close(sv[0]);
		(void)close(ep[0]);
		goto fail;
	}
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	(void)fcntl(ep[0], F_SETFL, O_NONBLOCK);
	k->c_fd = sv[0];
	k->c_err = ep[0];
	k->c_pid = pid;
	k->c_len = 0;
	k->c_line[0] = '\0';
	return (sv[0]);
fail:
	(void)snprintf(err, errlen, "ssh: %s", strerror(errno));
	return (-1);
}

int
transport_open(const struct host *h, char *err, size_t errlen)
{
	if (h->h_kind == HOST_UNIX)
		return (open_unix(h, err, errlen));
	return (open_ssh(h, err, errlen));
}

/* Read what ssh said; keep its last non-empty line.  0 at EOF. */
static int
drain(struct child *k)
{
	char	buf[512];
	ssize_t	n, i;

	while ((n = read(k->c_err, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || buf[i] == '\r') {
				if (k->c_len > 0)
					k->c_line[k->c_len] = '\0';
				k->c_len = 0;
				continue;
			}
			if (k->c_len == 0)
				k->c_line[0] = '\0';
			if (k->c_len < sizeof(k->c_line) - 1) {
				k->c_line[k->c_len++] = buf[i];
				k->c_line[k->c_len] = '\0';
			}
		}
	return (n == 0 ? 0 : 1);
}

void
transport_why(int fd, char *buf, size_t len)
{
	struct child	*k = find(fd);
	struct pollfd	 pfd;
	long long	 until = xnow_ms() + WHY_WAIT_MS, left;

	buf[0] = '\0';
	if (k == NULL)
		return;
	/* ssh closed our socket: it is on its way out; its stderr ends
	 * with it (a ControlPersist master it forked has /dev/null). */
	while (drain(k) != 0 && (left = until - xnow_ms()) > 0) {
		pfd.fd = k->c_err;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			break;
	}
	util_strlcpy(buf, k->c_line, len);
}

void
transport_close(int fd)
{
	struct child	*k = find(fd);
	int		 st;

	if (fd >= 0)
		(void)close(fd);
	if (k == NULL)
		return;
	(void)close(k->c_err);
	/* Done with it (after 300 BYE, or given up on): no need to wait
	 * for the far end's goodbye. */
	if (waitpid(k->c_pid, &st, WNOHANG) == 0) {
		(void)kill(k->c_pid, SIGTERM);
		while (waitpid(k->c_pid, &st, 0) == -1 && errno == EINTR)
			;
	}
	k->c_fd = -1;
}
