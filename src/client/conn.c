/*
 * conn.c: a single connection, one reply at a time.
 *
 * The socket stays non-blocking (as dial left it) and every wait goes
 * through poll() with the -t deadline, so that a server that stops
 * reading or answering never hangs an interactive session for longer.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "net.h"
#include "transport.h"
#include "xutil.h"

void
conn_error(const struct conn *c, const char *fmt, ...)
{
	char	buf[ARGO_CLIENT_ERR + 64];
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* It quotes the server: C0, C1 and bidi controls become `?`. */
	buf[argo_safe_text(buf, buf, strlen(buf))] = '\0';
	(void)fflush(stdout);
	(void)fprintf(stderr, "%s: %s\n", c->c_host->h_spec, buf);
}

/* The connection ended: ssh's own words when it was ssh's. */
static void
conn_closed(const struct conn *c, int inbody)
{
	char	ssh[ARGO_CLIENT_ERR];

	transport_why(c->c_fd, ssh, sizeof(ssh));
	if (ssh[0] != '\0')
		conn_error(c, "%s", ssh);
	else
		conn_error(c, "connection closed%s", inbody ?
		    " before the reply ended" : "");
}

static long long
deadline(const struct conn *c)
{
	return (xnow_ms() + (long long)c->c_timeout * 1000);
}

static int
wait_fd(int fd, short events, long long until)
{
	struct pollfd	pfd;
	long long	left;
	int		r;

	for (;;) {
		if ((left = until - xnow_ms()) <= 0)
			return (-1);
		pfd.fd = fd;
		pfd.events = events;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r == -1 && errno != EINTR)
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		if (r > 0)
			return (0);
	}
}

int
conn_open(struct conn *c, const struct host *h, const struct request *rq,
    int timeout)
{
	char	err[ARGO_CLIENT_ERR];

	memset(c, 0, sizeof(*c));
	c->c_host = h;
	c->c_timeout = timeout;
	reader_init(&c->c_in);
	c->c_fd = dial_blocking(h, deadline(c), timeout, err, sizeof(err));
	if (c->c_fd == -1) {
		conn_error(c, "%s", err);
		return (ARGO_EXIT_UNREACHABLE);
	}
	if (rq->rq_user != NULL)
		return (conn_auth(c, rq->rq_user, rq->rq_pass));
	return (ARGO_EXIT_OK);
}

void
conn_close(struct conn *c)
{
	if (c->c_fd != -1)
		transport_close(c->c_fd);
	c->c_fd = -1;
	reader_free(&c->c_in);
}

int
conn_send(struct conn *c, const void *buf, size_t len)
{
	const char	*p = buf;
	long long	 until = deadline(c);
	ssize_t		 n;

	while (len > 0) {
		n = send(c->c_fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			conn_error(c, "send: %s", strerror(errno));
			return (ARGO_EXIT_UNREACHABLE);
		}
		if (wait_fd(c->c_fd, POLLOUT, until) == -1) {
			conn_error(c, "timed out after %d s", c->c_timeout);
			return (ARGO_EXIT_UNREACHABLE);
		}
	}
	return (ARGO_EXIT_OK);
}

int
conn_fill(struct conn *c, long long until)
{
	char	*space;
	size_t	 room;
	ssize_t	 n;

	for (;;) {
		space = reader_space(&c->c_in, &room);
		n = recv(c->c_fd, space, room, MSG_DONTWAIT);
		if (n > 0) {
			reader_commit(&c->c_in, (size_t)n);
			return (1);
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return (0);
		if (wait_fd(c->c_fd, POLLIN, until) == -1)
			return (-1);
	}
}

int
conn_reply(struct conn *c, int secret)
{
	struct reply	 rp;
	long long	 until = deadline(c);
	char		*l;
	size_t		 len;
	int		 r;

	memset(&rp, 0, sizeof(rp));
	for (;;) {
		while ((r = reader_line(&c->c_in, &l, &len)) == 0) {
			if ((r = conn_fill(c, until)) == 1)
				continue;
			if (r == -1)
				conn_error(c, "timed out after %d s",
				    c->c_timeout);
			else
				conn_closed(c, rp.rp_inbody);
			return (ARGO_EXIT_UNREACHABLE);
		}
		if (r == -1) {
			conn_error(c, "reply line longer than %d bytes",
			    ARGO_CLIENT_MAX_RLINE);
			return (ARGO_EXIT_UNREACHABLE);
		}
		switch (reply_line(&rp, l, len)) {
		case RP_OK:
			break;
		case RP_BODY:
			if (secret)
				break;
			(void)fwrite(l, 1, argo_safe_text(l, l, len), stdout);
			(void)fputc('\n', stdout);
			break;
		case RP_END:
			(void)fflush(stdout);
			return (ARGO_EXIT_OK);
		case RP_ERROR:
			conn_error(c, "%s", l);
			return (ARGO_EXIT_REFUSED);
		case RP_BAD:
			conn_error(c, "protocol error: unexpected line "
			    "\"%.60s\"", l);
			return (ARGO_EXIT_UNREACHABLE);
		}
	}
}

int
conn_auth(struct conn *c, const char *user, const char *pass)
{
	size_t	 n;
	char	*line = argo_auth_line(user, pass, &n);
	int	 r;

	r = conn_send(c, line, n);
	xfree_secret(line, n + 1);
	if (r != ARGO_EXIT_OK)
		return (r);
	return (conn_reply(c, 1));
}
