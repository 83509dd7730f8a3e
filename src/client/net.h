/*
 * net.h: getting a connected socket to a host without ever blocking:
 * names are looked up with getaddrinfo_a(), whose completions arrive on
 * one descriptor (net_notify_fd()); connects are non-blocking and try
 * every address in turn.  The fleet polls many dials at once; an
 * interactive session uses dial_blocking(), bounded by a deadline.
 */
#ifndef ARGO_NET_H
#define ARGO_NET_H

#include <stddef.h>

#include "argo.h"

enum dial_state {
	DIAL_IDLE,
	DIAL_LOOKUP,		/* wait for net_notify_fd() */
	DIAL_CONNECTING,	/* wait for POLLOUT on d_fd */
	DIAL_OPEN,		/* d_fd is connected */
	DIAL_FAILED,		/* d_err says why */
};

struct lookup;

struct dial {
	const struct host	*d_host;
	struct lookup		*d_lookup;	/* in flight, or NULL */
	struct addrinfo		*d_res;		/* every address */
	struct addrinfo		*d_next;	/* the next one to try */
	int			 d_fd;
	enum dial_state		 d_state;
	char			 d_err[ARGO_CLIENT_ERR];
};

/* Once, before the first dial: 0, or -1 with errno. */
int	net_init(void);
/* Readable when a lookup may have finished; drain it, then check. */
int	net_notify_fd(void);
void	net_notify_drain(void);

void	dial_start(struct dial *d, const struct host *h);
/* After net_notify_fd() was readable: go on if d's lookup is done. */
void	dial_check_lookup(struct dial *d);
/* After poll() reported on d_fd while connecting. */
void	dial_check_connect(struct dial *d);
/* The connected socket, now the caller's (DIAL_OPEN only). */
int	dial_take(struct dial *d);
/* Give up: close, cancel, free.  d may be started again. */
void	dial_stop(struct dial *d);

/*
 * Connect to h before deadline (xnow_ms() clock): the socket, or -1 with
 * a message in err ("connect: ...", "timed out after N s", ...).
 */
int	dial_blocking(const struct host *h, long long deadline, int seconds,
	    char *err, size_t errlen);

#endif
