/*
 * watch.h: `argo HOST[,HOST...] watch`, a stream from every host at once.
 */
#ifndef ARGO_WATCH_H
#define ARGO_WATCH_H

#include <stddef.h>

#include "argo.h"

/*
 * Watch hosts[0..n) until SIGINT or SIGTERM (then end each watch and
 * wait, at most o->o_timeout seconds, for the hosts to close), or until
 * every host dropped out.  o->o_timeout bounds each host's start
 * (lookup, connect, login, 200 OK).  Returns the exit status (argo.h).
 */
int	watch_run(const struct host *hosts, size_t n,
	    const struct request *rq, const struct opts *o);

#endif
