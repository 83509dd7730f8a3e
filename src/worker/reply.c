/*
 * reply.c: what a session sends its client (reply.h).
 *
 * Replies are collected in s_out and written when the input at hand is
 * used up, so pipelined requests cost one write; past SESSION_OUT_FLUSH
 * bytes they are written at once, so that neither many pipelined requests
 * nor one long reply can outgrow the buffer (a reply is never cut short).
 * Writes are bounded by idle_timeout, as the session's reads are.
 *
 * Every command, the console and the watch reply through here, and the
 * session loop (session.c) sits above them all: so nothing here calls
 * anything of theirs.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reply.h"
#include "util.h"

#define SESSION_OUT_FLUSH (64 * 1024)	/* write out what is pending */
#define SESSION_OUT_MAX	(4 * 1024 * 1024)	/* pending bytes, at most */

static void
out_append(struct session *s, const char *p, size_t n)
{
	/* After a failed write the peer gets nothing more. */
	if (s->s_dead)
		return;
	if (s->s_outlen > 0 && s->s_outlen + n > SESSION_OUT_FLUSH &&
	    session_flush(s) == -1)
		return;
	if (s->s_outlen + n > s->s_outcap) {
		size_t	cap = s->s_outcap ? s->s_outcap : 4096;

		while (cap < s->s_outlen + n)
			cap *= 2;
		if (cap > SESSION_OUT_MAX) {
			/* Cannot happen with bounded bodies; end cleanly. */
			s->s_close = 1;
			s->s_reason = "error";
			return;
		}
		s->s_out = realloc(s->s_out, cap);
		if (s->s_out == NULL)
			fatal("realloc");
		s->s_outcap = cap;
	}
	memcpy(s->s_out + s->s_outlen, p, n);
	s->s_outlen += n;
}

void
session_raw(struct session *s, const char *p, size_t n)
{
	out_append(s, p, n);
}

void
session_ok(struct session *s)
{
	out_append(s, "200 OK\n", 7);
}

void
session_done(struct session *s)
{
	out_append(s, "300 DONE\n", 9);
}

void
session_bye(struct session *s)
{
	out_append(s, "300 BYE\n", 8);
}

/* vsnprintf's length of what fits in buf (cut, never over), or -1. */
static int
vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int	n = vsnprintf(buf, size, fmt, ap);

	if (n >= 0 && (size_t)n >= size)
		n = (int)size - 1;
	return (n);
}

void
session_error(struct session *s, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	out_append(s, "400 ", 4);
	out_append(s, buf, (size_t)n);
	out_append(s, "\n", 1);
}

static int
looks_like_reply(const char *p, size_t n)
{
	return (n >= 3 && (p[0] == '2' || p[0] == '3' || p[0] == '4') &&
	    p[1] == '0' && p[2] == '0' && (n == 3 || p[3] == ' '));
}

void
session_body(struct session *s, const char *line, size_t len)
{
	size_t	i, start;

	/* A body line must never pass for a status line. */
	if (looks_like_reply(line, len))
		out_append(s, " ", 1);
	for (i = start = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			out_append(s, line + start, i - start);
			out_append(s, "?", 1);
			start = i + 1;
		}
	}
	out_append(s, line + start, len - start);
	out_append(s, "\n", 1);
}

void
session_bodyf(struct session *s, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vformat(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	session_body(s, buf, (size_t)n);
}

void
session_body_text(struct session *s, const char *buf, size_t len)
{
	size_t	start = 0, i;

	for (i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		session_body(s, buf + start, i - start);
		start = i + 1;
	}
	if (start < len)
		session_body(s, buf + start, len - start);
}

int
session_flush(struct session *s)
{
	size_t		off = 0;
	ssize_t		n;
	struct pollfd	pfd;
	long long	deadline = util_now_ms() +
			    (long long)s->s_conf->c_idle_timeout * 1000;

	while (off < s->s_outlen) {
		n = send(s->s_fd, s->s_out + off, s->s_outlen - off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			long long left = deadline - util_now_ms();

			if (left <= 0)
				goto fail;
			pfd.fd = s->s_fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
				goto fail;
			continue;
		}
		goto fail;
	}
	s->s_outlen = 0;
	return (0);
fail:
	s->s_outlen = 0;
	s->s_dead = 1;
	s->s_close = 1;
	if (s->s_reason == NULL)
		s->s_reason = "error";
	return (-1);
}

/* The 400 reason of each failed status (PRIV_FAILED adds the summary). */
static const char *const reasons[PRIV_STATUS_MAX] = {
	[PRIV_FAILED] = "TOOLSTACK FAILED",
	[PRIV_TIMEOUT] = "TOOLSTACK TIMEOUT",
	[PRIV_BADAUTH] = "AUTHENTICATION FAILED",
	[PRIV_NOAUTH] = "NOT AUTHENTICATED",
	[PRIV_DENIED] = "PERMISSION DENIED",
	[PRIV_NOSUCH] = "NO SUCH INSTANCE",
	[PRIV_NOTRUNNING] = "NOT RUNNING",
	[PRIV_BUSY] = "CONSOLE BUSY",
};

void
session_fail(struct session *s, const struct priv_rep *rep)
{
	uint32_t	st = rep != NULL ? rep->p_status : PRIV_ERROR;

	if (st == PRIV_FAILED && rep != NULL)
		session_error(s, "%s: %s", reasons[st], rep->p_summary);
	else if (st < PRIV_STATUS_MAX && reasons[st] != NULL)
		session_error(s, "%s", reasons[st]);
	else
		session_error(s, "TOOLSTACK FAILED: cannot run the toolstack");
	if (rep == NULL) {
		/* Nothing more can be done for this client. */
		s->s_close = 1;
		s->s_reason = "error";
	}
}
