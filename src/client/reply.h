/*
 * reply.h: reading replies.  A reader turns the bytes of one connection
 * into lines (LF ends a line; a CR before it is dropped, as DESIGN.md
 * section 2 asks of clients); reply_line() tells what each line is.
 * Nothing here reads a socket, so a unit test can feed any split.
 */
#ifndef ARGO_REPLY_H
#define ARGO_REPLY_H

#include <stddef.h>

struct reader {
	char	*r_buf;
	size_t	 r_cap;
	size_t	 r_len;		/* bytes held */
	size_t	 r_off;		/* first byte not yet taken */
	size_t	 r_scan;	/* no LF before r_off + r_scan */
};

void	 reader_init(struct reader *r);
void	 reader_free(struct reader *r);
/* Where to put the next bytes, and how many fit (always some). */
char	*reader_space(struct reader *r, size_t *room);
void	 reader_commit(struct reader *r, size_t n);
/*
 * The next complete line: 1, with *line NUL-terminated in the buffer
 * (valid until the next reader call) and *len its length; 0 when no
 * line is complete yet; -1 when one is longer than ARGO_CLIENT_MAX_RLINE.
 */
int	 reader_line(struct reader *r, char **line, size_t *len);
/* Bytes held and not yet taken (console mode), and taking n of them. */
size_t	 reader_pending(const struct reader *r, const char **p);
void	 reader_take(struct reader *r, size_t n);
/* One read(2) from fd into r: 1 bytes, 0 end of file, -1 nothing yet. */
int	 reader_fill_fd(struct reader *r, int fd);

enum reply_ev {
	RP_OK,		/* 200: a body follows */
	RP_ERROR,	/* 400 REASON: the whole reply */
	RP_BODY,	/* a body line, to show as it is */
	RP_END,		/* 300 DONE, 300 BYE: the reply is over */
	RP_BAD,		/* not what the protocol allows here */
};

struct reply {
	int	rp_inbody;
};

/* Where the reply is after this line.  Starts (and ends) outside a body. */
enum reply_ev	reply_line(struct reply *rp, const char *line, size_t len);

#endif
