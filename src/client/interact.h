/*
 * interact.h: a session with one host: the interactive one (no command
 * given), and `argo HOST console NAME`.
 */
#ifndef ARGO_INTERACT_H
#define ARGO_INTERACT_H

#include "argo.h"

/* Lines from stdin, one reply each, until EOF or quit: exit status. */
int	interact_run(const struct host *h, const struct request *rq,
	    const struct opts *o);
/* Straight to name's console, then quit: exit status. */
int	interact_console(const struct host *h, const struct request *rq,
	    const struct opts *o, const char *name);

#endif
