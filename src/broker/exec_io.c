/*
 * exec_io.c: the toolstack's two output pipes, read without ever blocking
 * the child: at most the result's buffer is kept per stream, the rest is
 * read and dropped (and marked truncated), so a tool that prints forever
 * cannot wedge on a full pipe or make us allocate.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "exec.h"

#define EXEC_CHUNK	16384

void
exec_close(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * One read from a readable pipe.  Returns 1 if bytes came (kept or
 * dropped), 0 at EOF or on an error (the stream is then closed), -1 if
 * nothing was there after all.
 */
static int
stream_read(struct exec_stream *s)
{
	char	 scratch[EXEC_CHUNK];
	char	*dst;
	size_t	 room;
	ssize_t	 n;

	for (;;) {
		if (*s->len < s->cap) {
			dst = s->buf + *s->len;
			room = s->cap - *s->len;
		} else {
			/* Keep reading so the child never blocks on us. */
			dst = scratch;
			room = sizeof(scratch);
		}
		n = read(s->fd, dst, room);
		if (n > 0) {
			if (dst == scratch)
				*s->trunc = 1;
			else
				*s->len += (size_t)n;
			return 1;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -1;
		exec_close(&s->fd);
		return 0;
	}
}

/*
 * poll() the open streams and, if pidfd != -1, the pidfd too (only to wake
 * up when the child exits), for at most wait_ms; read what is ready.
 * Returns 1 if any bytes came, else 0.
 */
int
exec_pump(struct exec_stream *so, struct exec_stream *se, int pidfd, long long wait_ms)
{
	struct pollfd	 pfd[3];
	struct exec_stream	*map[3];
	nfds_t		 n = 0, i;
	int		 got = 0, r;

	if (wait_ms < 0)
		wait_ms = 0;
	if (wait_ms > 60000)
		wait_ms = 60000;	/* re-checked by the caller's loop */
	if (so->fd != -1) {
		pfd[n].fd = so->fd;
		pfd[n].events = POLLIN;
		map[n++] = so;
	}
	if (se->fd != -1) {
		pfd[n].fd = se->fd;
		pfd[n].events = POLLIN;
		map[n++] = se;
	}
	if (pidfd != -1) {
		pfd[n].fd = pidfd;
		pfd[n].events = POLLIN;
		map[n++] = NULL;
	}
	r = poll(pfd, n, (int)wait_ms);
	if (r <= 0)
		return 0;	/* timeout, EINTR: the caller's loop decides */
	for (i = 0; i < n; i++) {
		/* The caller's waitpid() looks at the child either way. */
		if (pfd[i].revents == 0 || map[i] == NULL)
			continue;
		if (stream_read(map[i]) == 1)
			got = 1;
	}
	return got;
}
