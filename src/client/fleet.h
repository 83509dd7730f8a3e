/*
 * fleet.h: one command on every host at once.
 */
#ifndef ARGO_FLEET_H
#define ARGO_FLEET_H

#include <stddef.h>

#include "argo.h"

/*
 * Run rq on hosts[0..n), at most o->o_jobs connections in flight, each
 * host within o->o_timeout seconds of its start (lookup, connect, login,
 * reply).  Prints through out.c; returns the exit status (argo.h).
 */
int	fleet_run(const struct host *hosts, size_t n,
	    const struct request *rq, const struct opts *o);

#endif
