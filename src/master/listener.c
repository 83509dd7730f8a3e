/*
 * listener.c: socket, bind and listen for each configured address.
 * IPv6 sockets get IPV6_V6ONLY so that "0.0.0.0 ::" binds two sockets on
 * any host, whatever net.ipv6.bindv6only says.  Sockets are non-blocking:
 * every idle worker polls them and the losers of accept() get EAGAIN.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "listener.h"
#include "util.h"

#define LISTEN_BACKLOG	128

static int
open_one(const char *addr, int *port, int *fdp, char *err, size_t errlen)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr,
	    &((struct sockaddr_in *)(void *)&ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)*port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)(void *)&ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)*port);
		len = sizeof(*sin6);
	} else {
		(void)snprintf(err, errlen, "cannot listen on %s port %d: "
		    "not a numeric address", addr, *port);
		return (-1);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd == -1)
		goto fail;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, len) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	if (*port == 0) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			goto fail;
		*port = ntohs(ss.ss_family == AF_INET ?
		    ((struct sockaddr_in *)(void *)&ss)->sin_port :
		    ((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	}
	*fdp = fd;
	return (0);
fail:
	snprintf(err, errlen, "cannot listen on %s port %d: %s", addr, *port,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return (-1);
}

int
listener_open(const struct config *c, int port, struct listeners *l,
    char *err, size_t errlen)
{
	size_t	i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < c->c_nlisten; i++) {
		if (open_one(c->c_listen[i], &port, &l->l_fd[l->l_n], err,
		    errlen) == -1) {
			listener_close(l);
			return (-1);
		}
		(void)snprintf(l->l_name[l->l_n], sizeof(l->l_name[0]),
		    strchr(c->c_listen[i], ':') ? "[%s]:%d" : "%s:%d",
		    c->c_listen[i], port);
		l->l_n++;
	}
	if (listener_open_unix(c, l, err, errlen) == -1) {
		listener_close(l);
		return (-1);
	}
	return (0);
}

void
listener_close(struct listeners *l)
{
	size_t	i;

	for (i = 0; i < l->l_n; i++)
		close(l->l_fd[i]);
	l->l_n = 0;
}

/*
 * Why no connection waits for the next one.  Each worker has its own epoll
 * with every listener EPOLLEXCLUSIVE.  For each new connection the kernel
 * walks the listener's waiters in registration order, marks the listener
 * ready in each worker's epoll it passes, and stops at the first worker
 * blocked in epoll_pwait(), which it wakes (and takes off that epoll's
 * wait list); a worker not blocked there is passed, never chosen.  A mark
 * stays while the backlog is not empty (level-triggered: each wait looks
 * again), and a worker registering its epoll finds a non-empty backlog
 * ready at once.  So a connection can be stranded only by the worker chosen
 * for it, if that worker then neither accepts nor waits again: killed
 * between its wake-up and its accept (SIGKILL, a crash), or gone without
 * accepting because a reload or a stop forbids it a new session.  A worker
 * that leaves for its own reasons (retired, surplus, its share served)
 * takes one last look without waiting and serves what it finds.
 *
 * Every such loss ends in an exit, and the master reaps every exit.  By
 * then the dead worker's epoll is gone (a process's files are closed
 * before its parent is told), so no later connection can be given to it.
 * If a client still waits, the master sends SIGURG to every worker: each,
 * when next idle, tries accept4() on every listener without waiting, again
 * after each client it got, until all say EAGAIN; a worker forked after
 * the reap sees the backlog when it registers, and one forked before it has
 * either its handler installed (and looks) or not yet its epoll (SIGURG is
 * ignored by default).  So a waiting client always has a live worker bound
 * to look, with no new connection needed: an idle one takes it at once, a
 * busy one when its session ends.  The cost is paid per exit, never per
 * session: one worker is still woken per connection.
 */
int
listener_pending(const struct listeners *l)
{
	struct pollfd	pfd[LISTENERS_MAX];
	size_t		i;

	for (i = 0; i < l->l_n; i++) {
		pfd[i].fd = l->l_fd[i];
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return (l->l_n > 0 && poll(pfd, (nfds_t)l->l_n, 0) > 0);
}

static int
effective_port(const struct config *c, int portopt)
{
	return (portopt >= 0 ? portopt : c->c_port);
}

int
listener_conf_same(const struct config *old, const struct config *nc,
    int portopt)
{
	size_t	i;

	if (nc->c_nlisten != old->c_nlisten ||
	    effective_port(nc, portopt) != effective_port(old, portopt) ||
	    strcmp(nc->c_pidfile, old->c_pidfile) != 0 ||
	    strcmp(nc->c_socket, old->c_socket) != 0 ||
	    strcmp(nc->c_socket_group, old->c_socket_group) != 0 ||
	    nc->c_socket_mode != old->c_socket_mode)
		return (0);
	for (i = 0; i < nc->c_nlisten; i++)
		if (strcmp(nc->c_listen[i], old->c_listen[i]) != 0)
			return (0);
	return (1);
}

void
listener_conf_keep(const struct config *old, struct config *nc)
{
	size_t	i;

	for (i = 0; i < nc->c_nlisten; i++)
		free(nc->c_listen[i]);
	for (i = 0; i < old->c_nlisten; i++)
		nc->c_listen[i] = util_xstrdup(old->c_listen[i]);
	nc->c_nlisten = old->c_nlisten;
	nc->c_port = old->c_port;
	free(nc->c_pidfile);
	nc->c_pidfile = util_xstrdup(old->c_pidfile);
	free(nc->c_socket);
	nc->c_socket = util_xstrdup(old->c_socket);
	free(nc->c_socket_group);
	nc->c_socket_group = util_xstrdup(old->c_socket_group);
	nc->c_socket_mode = old->c_socket_mode;
}
