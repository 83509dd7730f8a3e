/*
 * broker_auth.h: the broker's side of `auth` (broker_auth.c): the brake on
 * guessing (broker_throttle.h) and the password check.
 */
#ifndef ARGO_BROKER_AUTH_H
#define ARGO_BROKER_AUTH_H

#include <stddef.h>

#include "broker.h"

/* In the broker, before ch's auth request rq gets its child: decide its
 * wait. */
void	auth_begin(const struct bchan *ch, const struct priv_req *rq);
/* The longest its child may take, in ms (the wait included). */
long	auth_limit_ms(const struct bchan *ch);
/* In the child: check, wait as decided, log, fill rep; its length. */
size_t	auth_run(const struct bchan *ch, const struct priv_req *rq,
	    struct priv_rep *rep);
/* In the broker, once the child answered status: count a failure. */
void	auth_done(const struct bchan *ch, const struct priv_req *rq,
	    int status);

#endif
