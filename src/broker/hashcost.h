/*
 * hashcost.h: which password hashes cost the same to check.  A failed
 * auth checks one hash of each distinct method and cost parameters in the
 * configuration (broker_job.c), so that its time does not depend on the
 * account named; the configuration may hold at most HASHCOST_MAX of them.
 */
#ifndef ARGO_HASHCOST_H
#define ARGO_HASHCOST_H

#include <stddef.h>

#include "config.h"

#define HASHCOST_MAX	8	/* distinct methods and costs in one file */

/*
 * The part of a crypt(3) hash that decides how long checking it takes:
 * the method and its cost parameters, without salt and digest ("$y$j9T$",
 * "$6$rounds=6000000$", "$2b$12$").  A method this does not know keeps its
 * whole hash: two hashes may then count as different costs when they are
 * not (one more check per failure), never the other way round.  The key is
 * cut to keylen - 1 bytes (hashcost_reps() compares it whole); returns
 * its length.
 */
size_t	hashcost_key(const char *hash, char *key, size_t keylen);

/* Do hashes a and b cost the same to check (the same key)? */
int	hashcost_same(const char *a, const char *b);

/*
 * The distinct costs among the n users that have a hash: rep[k] is the
 * index of the first user of the k-th.  Returns how many there are, at
 * most max + 1 (the scan stops there; rep has room for max + 1).
 */
size_t	hashcost_reps(const struct user *u, size_t n, size_t *rep,
	    size_t max);

#endif
