/*
 * session.h: one client connection, from admission to close: its state,
 * which the replies (reply.h), the commands, the console and the watch
 * share, and the loop that serves it (session.c).
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

#endif
