/*
 * listener.h: the listening sockets, opened by the master before it forks.
 */
#ifndef ARGO_LISTENER_H
#define ARGO_LISTENER_H

#include <stddef.h>

#include "config.h"

struct listeners {
	int	l_fd[CONFIG_MAX_LISTEN];
	char	l_name[CONFIG_MAX_LISTEN][64];	/* "127.0.0.1:20203" */
	size_t	l_n;
};

/*
 * Bind every address of c->c_listen on port (0: the kernel picks one for
 * the first address and the others reuse it).  Returns 0, or -1 with
 * "cannot listen on ADDR port N: reason" in err.
 */
int	listener_open(const struct config *c, int port, struct listeners *l,
	    char *err, size_t errlen);
void	listener_close(struct listeners *l);

/* 1 if a connection waits in some listener's backlog (a look, no accept). */
int	listener_pending(const struct listeners *l);

#endif
