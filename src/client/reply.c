/*
 * reply.c: lines, and what each line of a reply is.
 *
 * The buffer grows only as far as one line needs, up to
 * ARGO_CLIENT_MAX_RLINE: a server (or anything listening on the port) that
 * sends an endless line gets an error, not all of our memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argo.h"
#include "reply.h"
#include "xutil.h"

#define READER_CHUNK	8192
#define READER_MAX	(ARGO_CLIENT_MAX_RLINE + READER_CHUNK)

void
reader_init(struct reader *r)
{
	memset(r, 0, sizeof(*r));
}

void
reader_free(struct reader *r)
{
	free(r->r_buf);
	memset(r, 0, sizeof(*r));
}

char *
reader_space(struct reader *r, size_t *room)
{
	if (r->r_off > 0) {
		memmove(r->r_buf, r->r_buf + r->r_off, r->r_len - r->r_off);
		r->r_len -= r->r_off;
		r->r_off = 0;
	}
	if (r->r_cap - r->r_len < READER_CHUNK / 2 && r->r_cap < READER_MAX) {
		r->r_cap = r->r_cap ? r->r_cap * 2 : READER_CHUNK;
		if (r->r_cap > READER_MAX)
			r->r_cap = READER_MAX;
		r->r_buf = xrealloc(r->r_buf, r->r_cap);
	}
	/*
	 * Full only with more than ARGO_CLIENT_MAX_RLINE bytes and no line
	 * end, which reader_line() has already refused: one byte of room
	 * keeps the callers simple.
	 */
	if (r->r_len == r->r_cap)
		r->r_len = r->r_off = r->r_scan = 0;
	*room = r->r_cap - r->r_len;
	return (r->r_buf + r->r_len);
}

void
reader_commit(struct reader *r, size_t n)
{
	r->r_len += n;
}

int
reader_line(struct reader *r, char **line, size_t *len)
{
	char	*start = r->r_buf + r->r_off, *lf;
	size_t	 held = r->r_len - r->r_off, n;

	if (held == 0)
		return (0);
	lf = memchr(start + r->r_scan, '\n', held - r->r_scan);
	if (lf == NULL) {
		r->r_scan = held;
		return (held > ARGO_CLIENT_MAX_RLINE + 1 ? -1 : 0);
	}
	n = (size_t)(lf - start);
	r->r_off += n + 1;
	r->r_scan = 0;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	if (n > ARGO_CLIENT_MAX_RLINE)
		return (-1);
	start[n] = '\0';
	*line = start;
	*len = n;
	return (1);
}

size_t
reader_pending(const struct reader *r, const char **p)
{
	*p = r->r_buf + r->r_off;
	return (r->r_len - r->r_off);
}

void
reader_take(struct reader *r, size_t n)
{
	r->r_off += n;
	r->r_scan = 0;
}

int
reader_fill_fd(struct reader *r, int fd)
{
	char	*space;
	size_t	 room;
	ssize_t	 n;

	space = reader_space(r, &room);
	n = read(fd, space, room);
	if (n > 0) {
		reader_commit(r, (size_t)n);
		return (1);
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return (-1);
	return (0);
}

/* "D00" alone or followed by a blank: a status line of class D. */
static int
status(const char *line, size_t len, char d)
{
	return (len >= 3 && line[0] == d && line[1] == '0' &&
	    line[2] == '0' && (len == 3 || line[3] == ' '));
}

enum reply_ev
reply_line(struct reply *rp, const char *line, size_t len)
{
	if (!rp->rp_inbody) {
		if (status(line, len, '2')) {
			rp->rp_inbody = 1;
			return (RP_OK);
		}
		if (status(line, len, '4'))
			return (RP_ERROR);
		return (RP_BAD);
	}
	if (status(line, len, '3')) {
		rp->rp_inbody = 0;
		return (RP_END);
	}
	/* The server stuffs a body line that would look like these. */
	if (status(line, len, '2') || status(line, len, '4'))
		return (RP_BAD);
	return (RP_BODY);
}
