/*
 * console.c: relaying a console.
 *
 * The server answers `200 OK console end=TOKEN`, TOKEN a random word
 * made for this console, and ends it with CR LF `300 DONE TOKEN` LF in
 * the byte stream (argo-server(8), CONSOLE).  The guest never saw the
 * token, so its output cannot end the console on our side: an end line
 * without it, or with another, is guest output like any.  The end may
 * arrive split across reads, so a possible beginning of it is held back
 * until it is either complete or ruled out; everything else goes to stdout
 * at once, unchanged: this is a terminal session, control bytes are the
 * point.
 *
 * Input goes to the server as typed, up to and including the first
 * Ctrl-]; we then read no more input, and wait at most -t seconds for the
 * end.  An end of input (a pipe run dry) detaches the same way.  The
 * terminal, when stdin is one, is raw only between `200 OK` and the end,
 * and tty.c restores it on any signal.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "argo.h"
#include "console.h"
#include "tty.h"
#include "xutil.h"

#define TOKEN_MAX	64	/* the server's is 32 hex digits */

/* This console's end line, with LF and with CR LF (DESIGN.md 2). */
struct end {
	char	e_lf[TOKEN_MAX + 16];
	char	e_crlf[TOKEN_MAX + 16];
	size_t	e_lflen, e_crlflen;
};

enum { M_NO, M_PART, M_FULL };

/*
 * Does p[0..n) start the end sequence?  *mlen: its length when M_FULL.
 * Its first byte, CR, is nowhere else in it, so a failed match can go on
 * from the next CR without missing an end that overlaps it.
 */
static int
match(const struct end *e, const char *p, size_t n, size_t *mlen)
{
	size_t	l1 = e->e_lflen, l2 = e->e_crlflen;

	if (n >= l1 && memcmp(p, e->e_lf, l1) == 0) {
		*mlen = l1;
		return (M_FULL);
	}
	if (n >= l2 && memcmp(p, e->e_crlf, l2) == 0) {
		*mlen = l2;
		return (M_FULL);
	}
	if ((n < l1 && memcmp(p, e->e_lf, n) == 0) ||
	    (n < l2 && memcmp(p, e->e_crlf, n) == 0))
		return (M_PART);
	return (M_NO);
}

static void
emit(const char *p, size_t n)
{
	if (n > 0 && xwrite_all(STDOUT_FILENO, p, n) == -1)
		xdie(ARGO_EXIT_OSERR, "stdout: %s", strerror(errno));
}

/* Show what the server sent: 1 when the console's end was in it. */
static int
relay_out(struct conn *c, const struct end *e)
{
	const char	*p, *cr;
	size_t		 n, i = 0, k, mlen;

	n = reader_pending(&c->c_in, &p);
	while (i < n) {
		if ((cr = memchr(p + i, '\r', n - i)) == NULL) {
			emit(p + i, n - i);
			i = n;
			break;
		}
		k = (size_t)(cr - p);
		emit(p + i, k - i);
		switch (match(e, p + k, n - k, &mlen)) {
		case M_FULL:
			emit("\r\n", 2);
			reader_take(&c->c_in, k + mlen);
			return (1);
		case M_PART:
			reader_take(&c->c_in, k);
			return (0);
		default:
			emit(p + k, 1);
			i = k + 1;
			break;
		}
	}
	reader_take(&c->c_in, i);
	return (0);
}

/* Send pending input up to the escape: 1 once the escape is sent. */
static int
relay_in(struct conn *c, struct reader *in, int *status)
{
	const char	*p, *esc;
	size_t		 n;

	n = reader_pending(in, &p);
	if (n == 0)
		return (0);
	if ((esc = memchr(p, ARGO_CONSOLE_ESCAPE, n)) != NULL)
		n = (size_t)(esc - p) + 1;
	*status = conn_send(c, p, n);
	reader_take(in, n);
	return (esc != NULL);
}

/*
 * "200 OK console end=TOKEN": this console's end line into *e; -1 if the
 * line is not that (a server that could not say how its console ends).
 */
static int
parse_ok(const char *l, size_t len, struct end *e)
{
	static const char	pre[] = "200 OK console end=";
	const char		*tok = l + sizeof(pre) - 1;
	size_t			 i, n;

	if (len <= sizeof(pre) - 1 || memcmp(l, pre, sizeof(pre) - 1) != 0)
		return (-1);
	n = len - (sizeof(pre) - 1);
	if (n > TOKEN_MAX)
		return (-1);
	for (i = 0; i < n; i++)
		if (tok[i] <= ' ' || tok[i] >= 0x7f)
			return (-1);
	e->e_lflen = (size_t)snprintf(e->e_lf, sizeof(e->e_lf),
	    "\r\n300 DONE %.*s\n", (int)n, tok);
	e->e_crlflen = (size_t)snprintf(e->e_crlf, sizeof(e->e_crlf),
	    "\r\n300 DONE %.*s\r\n", (int)n, tok);
	return (0);
}

/* The reply to `console NAME`: 0 attached, else the status (printed). */
static int
first_line(struct conn *c, struct end *e)
{
	struct reply	 rp;
	long long	 until = xnow_ms() + (long long)c->c_timeout * 1000;
	char		*l;
	size_t		 len;
	int		 r;

	memset(&rp, 0, sizeof(rp));
	while ((r = reader_line(&c->c_in, &l, &len)) == 0) {
		if ((r = conn_fill(c, until)) == 1)
			continue;
		conn_error(c, r == -1 ? "timed out after %d s" :
		    "connection closed", c->c_timeout);
		return (ARGO_EXIT_UNREACHABLE);
	}
	if (r == 1) {
		switch (reply_line(&rp, l, len)) {
		case RP_OK:
			if (parse_ok(l, len, e) == 0)
				return (0);
			break;
		case RP_ERROR:
			conn_error(c, "%s", l);
			return (ARGO_EXIT_REFUSED);
		default:
			break;
		}
	}
	conn_error(c, "protocol error: unexpected reply to console");
	return (ARGO_EXIT_UNREACHABLE);
}

int
console_attach(struct conn *c, const char *name, struct reader *in,
    int *in_eof)
{
	struct pollfd	 pfd[2];
	long long	 until = 0, left;
	char		 line[ARGO_MAX_LINE + 2];
	struct end	 e;
	int		 r, status = ARGO_EXIT_OK, detached = 0;

	(void)snprintf(line, sizeof(line), "console %s\n", name);
	if ((r = conn_send(c, line, strlen(line))) != 0)
		return (r);
	if ((r = first_line(c, &e)) != 0)
		return (r);
	(void)fflush(stdout);
	/*
	 * Raw first, then the notice: once it is shown, every key typed
	 * (Ctrl-C included) goes to the console, none to our terminal.
	 */
	if (tty_save(STDIN_FILENO) == 0) {
		if (tty_raw() == -1)
			xwarn("cannot put the terminal in raw mode: %s",
			    strerror(errno));
		(void)fprintf(stderr, "argo: console of %s on %s, Ctrl-] "
		    "detaches\r\n", name, c->c_host->h_spec);
	}
	for (;;) {
		if (relay_out(c, &e))
			break;
		if (!detached) {
			detached = relay_in(c, in, &status);
			if (status == 0 && !detached && *in_eof) {
				/* No more input: let go as Ctrl-] would. */
				char	esc = ARGO_CONSOLE_ESCAPE;

				status = conn_send(c, &esc, 1);
				detached = 1;
			}
			if (status != 0)
				break;
			if (detached)
				until = xnow_ms() +
				    (long long)c->c_timeout * 1000;
		}
		pfd[0].fd = c->c_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = detached ? -1 : STDIN_FILENO;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		left = -1;
		if (detached && (left = until - xnow_ms()) <= 0) {
			status = ARGO_EXIT_UNREACHABLE;
			tty_forget();
			conn_error(c, "console did not end within %d s of "
			    "Ctrl-]", c->c_timeout);
			break;
		}
		if (left > 60000)
			left = 60000;
		if (poll(pfd, 2, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		}
		if (pfd[1].revents != 0 && reader_fill_fd(in, STDIN_FILENO) ==
		    0)
			*in_eof = 1;
		if (pfd[0].revents != 0 && conn_fill(c, xnow_ms() + 1) == 0) {
			tty_forget();
			conn_error(c, "connection closed during the console");
			status = ARGO_EXIT_UNREACHABLE;
			break;
		}
	}
	tty_forget();
	return (status);
}
