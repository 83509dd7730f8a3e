/*
 * stream.h: one connection of a multi-host job (fleet.c, watch.c), driven
 * from their poll loop: what is queued goes out on POLLOUT, what comes in
 * is cut into lines.  The jobs keep their own state machines; this is only
 * the moving of bytes, so that both move them (and wipe a password) alike.
 */
#ifndef ARGO_STREAM_H
#define ARGO_STREAM_H

#include <stddef.h>

#include "reply.h"

struct stream {
	int		 s_fd;		/* -1: not connected */
	struct reader	 s_in;
	char		*s_out;		/* to send; may hold the password */
	size_t		 s_outlen;
	size_t		 s_outoff;
};

/* What stream_io() saw. */
enum stream_ev {
	STREAM_AGAIN,	/* every complete line handed over: poll again */
	STREAM_STOP,	/* the callback asked to stop */
	STREAM_LONG,	/* a line longer than ARGO_CLIENT_MAX_RLINE */
	STREAM_EOF,	/* the peer closed, after the lines before it */
	STREAM_ERROR,	/* recv(2) failed: errno says why */
};

/* Not connected, nothing held (a zeroed stream but for s_fd). */
void	stream_init(struct stream *s);
/* Take fd, a connected non-blocking socket. */
void	stream_open(struct stream *s, int fd);
/* Close (transport_close()), free, wipe: as after stream_init(). */
void	stream_close(struct stream *s);

/* Replace what is left to send with a, then b. */
void	stream_queue(struct stream *s, const char *a, size_t alen,
	    const char *b, size_t blen);
/* Replace what is left to send with "auth USER PASSWORD". */
void	stream_queue_auth(struct stream *s, const char *user,
	    const char *pass);
/* The poll(2) events to wait for: POLLIN, and POLLOUT while sending. */
int	stream_events(const struct stream *s);
/*
 * After poll(2) reported revents: on POLLOUT send what the socket takes;
 * on POLLIN, POLLHUP or POLLERR one recv(2), then each complete line to
 * fn (NUL-terminated, valid during the call) until none is left or fn
 * returns -1 (STREAM_STOP: fn may have closed s).
 */
enum stream_ev	stream_io(struct stream *s, short revents,
		    int (*fn)(void *arg, char *line, size_t len), void *arg);
/*
 * Why the stream ended, for the job's error line: STREAM_LONG, STREAM_EOF
 * or STREAM_ERROR, asked before errno changes.
 */
const char	*stream_why(enum stream_ev ev);

#endif
