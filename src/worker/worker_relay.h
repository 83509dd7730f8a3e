/*
 * worker_relay.h: a console's bytes between the client and the tool's pty
 * (worker_relay.c), for worker_console.c.
 */
#ifndef ARGO_WORKER_RELAY_H
#define ARGO_WORKER_RELAY_H

#include <stddef.h>

#include "session.h"

struct relay_end {
	const char		*why;	/* "detach", "ended", "eof", ... */
	long long		 in, out;	/* bytes to the guest, client */
	const unsigned char	*tail;	/* guest output not yet sent */
	size_t			 taillen;
};

/*
 * Relay until Ctrl-], the console's end (the tool closed the pty),
 * idle_timeout, the client's disappearance ("eof") or a stop.  Bytes the
 * client sent after its escape are left in s->s_pending for command mode.
 */
void	relay_run(struct session *s, int pty, struct relay_end *e);
/*
 * Once the broker is stopping the tool: wait (bounded) for it to close
 * the pty, keeping what the guest printed meanwhile in e's tail.
 */
void	relay_finish(int pty, struct relay_end *e);

#endif
