/*
 * linebuf.c: the request line reader (DESIGN.md section 2, STYLE.md 2.9).
 *
 * The session feeds whatever read() returned; lb_feed() consumes bytes up to
 * the next event and tells how many it used, so pipelined requests come out
 * one at a time and a request may arrive in any number of pieces.  Nothing
 * here reads a socket, allocates or logs: the reader is a pure state machine
 * over one fixed buffer, which is what lets the unit test and the fuzzer
 * drive it with every possible split.
 *
 * Two layers, in this order:
 *  1. Telnet: IAC sequences are removed.  IAC IAC yields one 0xff data byte;
 *     IAC WILL/WONT/DO/DONT swallow one option byte; IAC SB ... IAC SE is
 *     skipped, but at most ARGO_MAX_LINE bytes of it, so that a client cannot
 *     hide an endless stream inside a subnegotiation (it gets LINE TOO LONG
 *     and the usual discard to the line end instead); any other IAC command
 *     is two bytes.  The layer runs in every state, discarding included, so
 *     an option byte of 10 is never mistaken for a line end.
 *  2. Lines: LF ends a line, and so does CR NUL (telnet's Enter in character
 *     mode); a CR before LF is dropped.  A CR followed by anything else is
 *     content, and a bad byte.  The 1025th content byte is reported at once
 *     as LB_TOO_LONG, then everything up to the next line end is dropped
 *     without a further report.  Control bytes (0x00-0x1f but TAB, and 0x7f)
 *     make the line LB_BAD when it ends; bytes 0x80-0xff are data (UTF-8
 *     passwords), 0xff from IAC IAC included.
 */
#include <stddef.h>
#include <string.h>

#include "linebuf.h"

/* Telnet commands (RFC 854). */
#define TN_SE		240
#define TN_SB		250
#define TN_WILL		251
#define TN_DONT		254
#define TN_IAC		255

/*
 * lb_telnet holds the telnet state in its low 3 bits and, inside a
 * subnegotiation, the number of bytes skipped so far above them.  The count
 * never exceeds ARGO_MAX_LINE + 1, so the int cannot overflow.
 */
#define TS_DATA		0	/* ordinary data */
#define TS_IAC		1	/* after IAC */
#define TS_OPT		2	/* after IAC WILL/WONT/DO/DONT */
#define TS_SB		3	/* inside IAC SB ... */
#define TS_SB_IAC	4	/* after IAC inside SB */
#define TS_STATE(t)	((t) & 7)
#define TS_COUNT(t)	((t) >> 3)
#define TS_MAKE(s, n)	((int)(s) | ((int)(n) << 3))

static enum lb_result	lb_content(struct linebuf *, unsigned char);
static enum lb_result	lb_eol(struct linebuf *, const char **, size_t *);
static enum lb_result	lb_data(struct linebuf *, unsigned char,
			    const char **, size_t *);
static enum lb_result	lb_too_long(struct linebuf *);

void
lb_init(struct linebuf *lb)
{
	memset(lb, 0, sizeof(*lb));
	lb->lb_telnet = TS_MAKE(TS_DATA, 0);
}

/* Start discarding: the rest of this line is dropped up to its end. */
static enum lb_result
lb_too_long(struct linebuf *lb)
{
	lb->lb_len = 0;
	lb->lb_bad = 0;
	lb->lb_cr = 0;
	lb->lb_discard = 1;
	return LB_TOO_LONG;
}

/* One content byte (not a line end). */
static enum lb_result
lb_content(struct linebuf *lb, unsigned char c)
{
	if (lb->lb_discard)
		return LB_NEED_MORE;
	if (lb->lb_len >= ARGO_MAX_LINE)
		return lb_too_long(lb);
	if ((c < 0x20 && c != '\t') || c == 0x7f)
		lb->lb_bad = 1;
	lb->lb_buf[lb->lb_len++] = (char)c;
	return LB_NEED_MORE;
}

/* A line end: report the line, or end a discard silently. */
static enum lb_result
lb_eol(struct linebuf *lb, const char **line, size_t *linelen)
{
	enum lb_result	r;

	if (lb->lb_discard) {
		lb->lb_discard = 0;
		lb->lb_len = 0;
		lb->lb_bad = 0;
		return LB_NEED_MORE;
	}
	lb->lb_buf[lb->lb_len] = '\0';
	*line = lb->lb_buf;
	*linelen = lb->lb_len;
	r = lb->lb_bad ? LB_BAD : LB_LINE;
	/*
	 * The content stays in lb_buf until the next call overwrites it,
	 * which is as long as the caller may use it.
	 */
	lb->lb_len = 0;
	lb->lb_bad = 0;
	return r;
}

/* One data byte, after the telnet layer. */
static enum lb_result
lb_data(struct linebuf *lb, unsigned char c, const char **line,
    size_t *linelen)
{
	if (lb->lb_cr) {
		lb->lb_cr = 0;
		if (c == '\n' || c == '\0')
			return lb_eol(lb, line, linelen);
		/* A lone CR is content, and a bad byte. */
		if (lb_content(lb, '\r') == LB_TOO_LONG) {
			/*
			 * c is consumed with the event; in discard mode only
			 * a CR can matter (it may start a CR NUL line end).
			 */
			if (c == '\r')
				lb->lb_cr = 1;
			return LB_TOO_LONG;
		}
	}
	if (c == '\n')
		return lb_eol(lb, line, linelen);
	if (c == '\r') {
		lb->lb_cr = 1;
		return LB_NEED_MORE;
	}
	return lb_content(lb, c);
}

enum lb_result
lb_feed(struct linebuf *lb, const unsigned char *data, size_t len,
    size_t *used, const char **line, size_t *linelen)
{
	enum lb_result	r;
	unsigned char	c;
	size_t		i, n;
	int		st;

	*line = NULL;
	*linelen = 0;
	for (i = 0; i < len; ) {
		c = data[i++];
		st = TS_STATE(lb->lb_telnet);
		n = (size_t)TS_COUNT(lb->lb_telnet);
		switch (st) {
		case TS_DATA:
			if (c == TN_IAC) {
				lb->lb_telnet = TS_MAKE(TS_IAC, 0);
				continue;
			}
			break;
		case TS_IAC:
			lb->lb_telnet = TS_MAKE(TS_DATA, 0);
			if (c == TN_IAC)
				break;		/* a literal 0xff */
			if (c >= TN_WILL && c <= TN_DONT)
				lb->lb_telnet = TS_MAKE(TS_OPT, 0);
			else if (c == TN_SB)
				lb->lb_telnet = TS_MAKE(TS_SB, 0);
			continue;
		case TS_OPT:
			lb->lb_telnet = TS_MAKE(TS_DATA, 0);
			continue;
		case TS_SB:
		case TS_SB_IAC:
			if (st == TS_SB_IAC && c == TN_SE) {
				lb->lb_telnet = TS_MAKE(TS_DATA, 0);
				continue;
			}
			if (st == TS_SB && c == TN_IAC) {
				lb->lb_telnet = TS_MAKE(TS_SB_IAC, n);
				continue;
			}
			/* Payload (IAC IAC, or IAC x which we ignore). */
			if (++n > ARGO_MAX_LINE) {
				/* Give up on the subnegotiation. */
				lb->lb_telnet = TS_MAKE(TS_DATA, 0);
				if (!lb->lb_discard) {
					*used = i;
					return lb_too_long(lb);
				}
				continue;
			}
			lb->lb_telnet = TS_MAKE(TS_SB, n);
			continue;
		default:
			/* Not reached: the states above are all there is. */
			lb->lb_telnet = TS_MAKE(TS_DATA, 0);
			continue;
		}
		r = lb_data(lb, c, line, linelen);
		if (r != LB_NEED_MORE) {
			*used = i;
			return r;
		}
	}
	*used = len;
	return LB_NEED_MORE;
}

int
lb_split(char *line, char **argv, int maxwords)
{
	char	*p = line;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n >= maxwords)
			return -1;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p == '\0')
			return n;
		*p++ = '\0';
	}
}
