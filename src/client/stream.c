/*
 * stream.c: the bytes of one multi-host job's connection (stream.h).
 *
 * Nothing here blocks: the job's poll loop says what the socket is ready
 * for, and each call does one send(2) and one recv(2) at the most, so
 * that a slow host never holds up the others.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "argo.h"
#include "stream.h"
#include "transport.h"
#include "xutil.h"

void
stream_init(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	s->s_fd = -1;
}

void
stream_open(struct stream *s, int fd)
{
	s->s_fd = fd;
	reader_init(&s->s_in);
}

/* Whatever was queued may be an auth line: it is wiped, never just freed. */
static void
drop_out(struct stream *s)
{
	xfree_secret(s->s_out, s->s_outlen);
	s->s_out = NULL;
	s->s_outlen = s->s_outoff = 0;
}

void
stream_close(struct stream *s)
{
	if (s->s_fd != -1)
		transport_close(s->s_fd);
	s->s_fd = -1;
	reader_free(&s->s_in);
	drop_out(s);
}

void
stream_queue(struct stream *s, const char *a, size_t alen, const char *b,
    size_t blen)
{
	drop_out(s);
	s->s_outlen = alen + blen;
	s->s_out = xmalloc(s->s_outlen);
	memcpy(s->s_out, a, alen);
	memcpy(s->s_out + alen, b, blen);
}

void
stream_queue_auth(struct stream *s, const char *user, const char *pass)
{
	drop_out(s);
	s->s_out = argo_auth_line(user, pass, &s->s_outlen);
}

int
stream_events(const struct stream *s)
{
	return (POLLIN | (s->s_outoff < s->s_outlen ? POLLOUT : 0));
}

static void
send_some(struct stream *s)
{
	ssize_t	n;

	n = send(s->s_fd, s->s_out + s->s_outoff, s->s_outlen - s->s_outoff,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		s->s_outoff += (size_t)n;
	else if (n == -1 && errno != EAGAIN && errno != EINTR)
		s->s_outoff = s->s_outlen;	/* read what it said */
	/* Sent (or given up): the password need not wait for the end. */
	if (s->s_outoff == s->s_outlen)
		drop_out(s);
}

enum stream_ev
stream_io(struct stream *s, short revents,
    int (*fn)(void *arg, char *line, size_t len), void *arg)
{
	char	*l, *space;
	size_t	 room, len;
	ssize_t	 n;
	int	 r, saved;

	if ((revents & POLLOUT) && s->s_outoff < s->s_outlen)
		send_some(s);
	if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0)
		return (STREAM_AGAIN);
	space = reader_space(&s->s_in, &room);
	n = recv(s->s_fd, space, room, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (STREAM_AGAIN);
	saved = errno;
	if (n > 0)
		reader_commit(&s->s_in, (size_t)n);
	/* Lines that came before an end of file are still the reply's. */
	while ((r = reader_line(&s->s_in, &l, &len)) != 0) {
		if (r == -1)
			return (STREAM_LONG);
		if (fn(arg, l, len) == -1)
			return (STREAM_STOP);
	}
	if (n > 0)
		return (STREAM_AGAIN);
	if (n == 0)
		return (STREAM_EOF);
	/* The callers quote recv's reason, not a later call's. */
	errno = saved;
	return (STREAM_ERROR);
}

const char *
stream_why(enum stream_ev ev)
{
	static char	long_line[64];

	switch (ev) {
	case STREAM_LONG:
		(void)snprintf(long_line, sizeof(long_line), "reply line "
		    "longer than %d bytes", ARGO_CLIENT_MAX_RLINE);
		return (long_line);
	case STREAM_EOF:
		return ("connection closed");
	default:
		return (strerror(errno));
	}
}
