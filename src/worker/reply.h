/*
 * reply.h: what a session sends its client (reply.c).  The lowest layer
 * of a session: every command replies through it, and it calls none.
 */
#ifndef ARGO_REPLY_H
#define ARGO_REPLY_H

#include <stddef.h>

#include "privmsg.h"
#include "session.h"

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
/* The 400 reply for a refused or failed broker request (rep NULL: no
 * broker, and the session ends). */
void	session_fail(struct session *s, const struct priv_rep *rep);

#endif
