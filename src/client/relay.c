/*
 * relay.c: `argo -R`, run by sshd as the remote command of an ssh://
 * host (or forced by command="argo -R" in authorized_keys).  It relays
 * standard input and output to the local daemon's socket and nothing
 * else: the daemon learns the uid sshd gave us from the kernel, so the
 * account is the one unix_users maps, with no password on any wire.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transport.h"
#include "xutil.h"

static int
connect_local(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		xdie(ARGO_EXIT_UNREACHABLE, "%s: path too long", path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	util_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		xdie(ARGO_EXIT_UNREACHABLE, "%s: %s", path, strerror(errno));
	return (fd);
}

/* Move what is there from in to out (blocking write): 0 at EOF. */
static int
pass(int in, int out)
{
	char	buf[16384];
	ssize_t	n;

	n = read(in, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return (1);
	if (n <= 0)
		return (0);
	if (xwrite_all(out, buf, (size_t)n) == -1)
		return (0);
	return (1);
}

int
relay_run(void)
{
	const char	*path = getenv("ARGO_SOCKET");
	struct pollfd	 pfd[2];
	int		 s, in_open = 1;

	if (path == NULL || path[0] == '\0')
		path = ARGO_DEFAULT_SOCKET;
	s = connect_local(path);
	pfd[0].fd = 0;
	pfd[1].fd = s;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].fd = in_open ? 0 : -1;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0 && !pass(0, s)) {
			/* The client is done: the daemon sees the end too,
			 * and its last reply still comes back. */
			in_open = 0;
			(void)shutdown(s, SHUT_WR);
		}
		if (pfd[1].revents != 0 && !pass(s, 1))
			break;
	}
	(void)close(s);
	return (ARGO_EXIT_OK);
}
