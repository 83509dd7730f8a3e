/*
 * interact.c: the interactive session.
 *
 * Lines come from stdin (a prompt on stderr when it is a terminal; a pipe
 * of commands works the same, without one), are checked as the server
 * would check them, and are sent one at a time, each reply read before
 * the next line.  While it waits for a line, the session watches the
 * socket too, so that a server that gives up on us (`400 TIMEOUT`) is
 * seen at once and not at the next command.  Two commands are the
 * client's own business: `console NAME` switches to console mode, and
 * `auth USER` asks for the password without echo (as -u would) instead of
 * having it typed in clear.  The exit status is the worst of the replies,
 * as for a command: 0, 1 if any was a 400 (or a line refused here, which
 * the server would have answered with one), 2 if the connection was lost.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conn.h"
#include "console.h"
#include "interact.h"
#include "password.h"
#include "xutil.h"

#define MAX_WORDS	3	/* all that the client looks at */

enum { LINE_EOF, LINE_OK, LINE_CLOSED };

/* Split a copy of line: the number of words (at most MAX_WORDS kept). */
static int
words(const char *line, char *copy, size_t copylen, char **w)
{
	char	*p;
	int	 n = 0;

	util_strlcpy(copy, line, copylen);
	for (p = copy; *p != '\0' && n <= MAX_WORDS; ) {
		while (argo_is_blank(*p))
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (n < MAX_WORDS)
			w[n] = p;
		n++;
		while (*p != '\0' && !argo_is_blank(*p))
			p++;
	}
	return (n);
}

/* Lines the server sent unasked (a 400 TIMEOUT before it closes). */
static void
unasked(struct conn *c)
{
	char	*l;
	size_t	 len;

	while (reader_line(&c->c_in, &l, &len) == 1)
		conn_error(c, "%s", l);
}

/* Wait for the next input line, watching the socket meanwhile. */
static int
next_line(struct conn *c, struct reader *in, int *in_eof, char **l,
    size_t *len)
{
	struct pollfd	pfd[2];
	char		*space;
	size_t		 room;
	int		 r;

	for (;;) {
		/* What came with the last reply, unasked, is shown first. */
		unasked(c);
		if ((r = reader_line(in, l, len)) == 1)
			return (LINE_OK);
		if (r == -1)
			xdie(ARGO_EXIT_USAGE, "input line longer than %d bytes",
			    ARGO_CLIENT_MAX_RLINE);
		if (*in_eof) {
			const char	*p;

			/* A last line without its LF is still a line. */
			if (reader_pending(in, &p) == 0)
				return (LINE_EOF);
			space = reader_space(in, &room);
			*space = '\n';
			reader_commit(in, 1);
			continue;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[1].fd = c->c_fd;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0 && reader_fill_fd(in, STDIN_FILENO) ==
		    0)
			*in_eof = 1;
		if (pfd[1].revents != 0) {
			r = conn_fill(c, xnow_ms() + 1);
			unasked(c);
			if (r == 0)
				return (LINE_CLOSED);
		}
	}
}

/* One line typed: its status (0, 1, 2), or -1 after a clean quit. */
static int
one_line(struct conn *c, const char *line, size_t len, struct reader *in,
    int *in_eof)
{
	char	 copy[ARGO_MAX_LINE + 1], *w[MAX_WORDS], *pw, err[256];
	size_t	 i;
	int	 n, r;

	if (len > ARGO_MAX_LINE) {
		xwarn("line of %zu bytes not sent: the server takes %d at "
		    "most", len, ARGO_MAX_LINE);
		return (ARGO_EXIT_USAGE);
	}
	for (i = 0; i < len; i++)
		if (argo_is_ctl((unsigned char)line[i])) {
			xwarn("line not sent: it holds a control character");
			return (ARGO_EXIT_USAGE);
		}
	if ((n = words(line, copy, sizeof(copy), w)) == 0)
		return (ARGO_EXIT_OK);		/* blank: no reply */
	if (n == 2 && strcasecmp(w[0], "console") == 0)
		return (console_attach(c, w[1], in, in_eof));
	if (n == 2 && strcasecmp(w[0], "auth") == 0) {
		if ((pw = password_get(w[1], err, sizeof(err))) == NULL) {
			xwarn("%s", err);
			return (ARGO_EXIT_USAGE);
		}
		r = conn_auth(c, w[1], pw);
		xfree_secret(pw, strlen(pw) + 1);
		return (r);
	}
	if ((r = conn_send(c, line, len)) != 0 ||
	    (r = conn_send(c, "\n", 1)) != 0 ||
	    (r = conn_reply(c, 0)) != 0)
		return (r);
	if (strcasecmp(w[0], "quit") == 0 || strcasecmp(w[0], "exit") == 0)
		return (-1);
	return (ARGO_EXIT_OK);
}

int
interact_run(const struct host *h, const struct request *rq,
    const struct opts *o)
{
	struct conn	 c;
	struct reader	 in;
	char		*l;
	size_t		 len;
	int		 r, worst, in_eof = 0, prompt = isatty(STDIN_FILENO);

	if ((worst = conn_open(&c, h, rq, o->o_timeout)) != 0) {
		conn_close(&c);
		return (worst);
	}
	reader_init(&in);
	for (;;) {
		if (prompt) {
			(void)fflush(stdout);
			(void)fprintf(stderr, "%s> ", h->h_spec);
		}
		r = next_line(&c, &in, &in_eof, &l, &len);
		if (r == LINE_CLOSED) {
			conn_error(&c, "connection closed");
			worst = ARGO_EXIT_UNREACHABLE;
			break;
		}
		if (r == LINE_EOF) {
			if (prompt)
				(void)fputc('\n', stderr);
			/* Say goodbye; the reply no longer matters. */
			if (conn_send(&c, "quit\n", 5) == 0)
				(void)conn_reply(&c, 1);
			break;
		}
		r = one_line(&c, l, len, &in, &in_eof);
		if (r == -1)
			break;
		/* Refused here, as the server would have: like a 400. */
		if (r == ARGO_EXIT_USAGE)
			r = ARGO_EXIT_REFUSED;
		if (r > worst)
			worst = r;
		if (r == ARGO_EXIT_UNREACHABLE)
			break;
	}
	reader_free(&in);
	conn_close(&c);
	return (worst);
}

int
interact_console(const struct host *h, const struct request *rq,
    const struct opts *o, const char *name)
{
	struct conn	 c;
	struct reader	 in;
	int		 r, in_eof = 0;

	if ((r = conn_open(&c, h, rq, o->o_timeout)) != 0) {
		conn_close(&c);
		return (r);
	}
	reader_init(&in);
	r = console_attach(&c, name, &in, &in_eof);
	if (r != ARGO_EXIT_UNREACHABLE && conn_send(&c, "quit\n", 5) == 0)
		(void)conn_reply(&c, 1);
	reader_free(&in);
	conn_close(&c);
	return (r);
}
