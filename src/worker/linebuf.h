/*
 * linebuf.h: the request line reader.  Bytes go in as they arrive from the
 * socket, complete requests come out, so a unit test can feed any split.
 *
 * Rules (DESIGN.md section 2): a line ends with LF, or with CR NUL (telnet's
 * Enter in character mode); a CR directly before LF is dropped; telnet IAC
 * sequences are consumed (IAC IAC is a literal 0xff data byte; IAC
 * WILL/WONT/DO/DONT take one option byte; IAC SB ... IAC SE is skipped; any
 * other IAC command is two bytes); at most ARGO_MAX_LINE bytes of content.
 */
#ifndef ARGO_LINEBUF_H
#define ARGO_LINEBUF_H

#include <stddef.h>

#include "defs.h"

enum lb_result {
	LB_NEED_MORE,	/* input used up, no complete line yet */
	LB_LINE,	/* a complete request; see lb_feed() */
	LB_TOO_LONG,	/* content passed ARGO_MAX_LINE: reported once, at
			   that moment; the rest up to LF is then discarded */
	LB_BAD,		/* the line (now complete) held a control byte
			   (0x00-0x1f except TAB, or 0x7f), a NUL not after
			   CR, or a CR not followed by LF or NUL */
};

struct linebuf {
	char		lb_buf[ARGO_MAX_LINE + 1];	/* content + NUL */
	size_t		lb_len;
	int		lb_telnet;	/* telnet parser state, private */
	int		lb_cr;		/* a CR is pending, private */
	int		lb_bad;		/* current line is bad, private */
	int		lb_discard;	/* discarding to LF, private */
};

void	lb_init(struct linebuf *lb);

/*
 * Consume bytes from data[0..len) until one event or the end of the input.
 * *used tells how many bytes were consumed (call again with the rest).
 * On LB_LINE, *line points to the NUL-terminated content (no line end),
 * valid until the next call, and *linelen is its length (may be 0 for a
 * blank line: the caller ignores blank lines).
 */
enum lb_result	lb_feed(struct linebuf *lb, const unsigned char *data,
		    size_t len, size_t *used, const char **line,
		    size_t *linelen);

/*
 * Split a request in place into words separated by runs of spaces and
 * TABs.  Returns the number of words (0 for a blank line), or -1 if there
 * are more than maxwords (argv[] then holds the first maxwords).
 */
int	lb_split(char *line, char **argv, int maxwords);

#endif
