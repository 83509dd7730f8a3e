/*
 * confwire.h: a worker's share of the configuration, as the master packs
 * it into the memfd an argo-worker reads (handoff.h).  The worker holds
 * no configuration parser: it unpacks what the master parsed.  Only what
 * a worker uses goes in (limits, timeouts, the allow list, and for each
 * account its name, read-only flag and instances); password hashes and
 * unix_users never do.
 */
#ifndef ARGO_CONFWIRE_H
#define ARGO_CONFWIRE_H

#include <stddef.h>

#include "config.h"

/* A new buffer (free() it) holding c's worker share; its length in *lenp. */
unsigned char *confwire_pack(const struct config *c, size_t *lenp);
/*
 * A new config from len bytes (free it with config_free): 0, or -1 with
 * the reason in err.  Every count and length is checked against the
 * buffer and the limits of defs.h; names must be valid ones.
 */
int	confwire_unpack(const unsigned char *buf, size_t len,
	    struct config **out, char *err, size_t errlen);

#endif
