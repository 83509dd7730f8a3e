/*
 * session.h: one client connection, from admission to close.
 */
#ifndef ARGO_SESSION_H
#define ARGO_SESSION_H

#include <stddef.h>

#include "config.h"
#include "linebuf.h"

struct session {
	int			 s_fd;
	const struct config	*s_conf;
	const struct user	*s_user;	/* NULL: anonymous */
	char			 s_peer[64];
	int			 s_authfails;
	int			 s_requests;
	int			 s_close;	/* close after this reply */
	int			 s_dead;	/* a write failed: send no more */
	const char		*s_reason;	/* why the session ended */
	char			*s_out;		/* pending reply bytes */
	size_t			 s_outlen, s_outcap;
	int			 s_console;	/* a console to relay, or -1 */
	int			 s_watch;	/* a watch to stream (cmd_watch.c) */
	unsigned char		*s_pending;	/* client bytes read, not yet */
	size_t			 s_npending;	/* looked at (console mode) */
	size_t			 s_pendcap;
};

/* Serve the admitted connection fd until it ends; logs start and end.
 * local: a client of the UNIX socket, whose account the broker knows. */
void	session_run(const struct config *c, int fd, const char *peer,
	    int local);
/* cmd_watch.c: stream the watch until the client's line, then 300 DONE. */
void	watch_run(struct session *s);
/* worker_console.c: relay s->s_console until it ends, then 300 DONE. */
void	console_run(struct session *s);

/* Reply helpers: "200 OK", a body line (escaped), "300 DONE", "400 ...". */
void	session_ok(struct session *s);
void	session_body(struct session *s, const char *line, size_t len);
void	session_bodyf(struct session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	session_done(struct session *s);
void	session_bye(struct session *s);		/* "300 BYE" */
void	session_error(struct session *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Toolstack output as body lines: reply codes escaped, control bytes '?'. */
void	session_body_text(struct session *s, const char *buf, size_t len);
/* Bytes as they are (console mode). */
void	session_raw(struct session *s, const char *p, size_t n);
/* Send what is pending; -1 when the peer is gone or stopped reading. */
int	session_flush(struct session *s);

#endif
