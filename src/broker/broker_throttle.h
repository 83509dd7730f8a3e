/*
 * broker_throttle.h: the broker's brake on password guessing.  Runs in the
 * broker itself (root), never in a job's child: the children of one
 * account's parallel attempts must all see the same count.
 *
 * Failures are counted per account name (any name, so that the brake does
 * not tell which accounts exist) and per source (acl_host_key(): an IPv4
 * address, an IPv6 /per_host_prefix6).  Once a name or a source has
 * `after` failures with no gap of `window` seconds between them, each
 * further attempt on it is answered only after a wait that doubles from
 * 1 s to BTHR_STEP_MAX_MS, and parallel attempts queue behind each other;
 * an attempt that would wait over BTHR_QUEUE_MAX_MS is refused without
 * looking at its password.  A correct password from a source with no
 * failure on record is answered at once all the same.
 *
 * The table has a fixed size (BTHR_SIZE entries); when it is full, the
 * entry with the oldest failure gives way.
 */
#ifndef ARGO_BROKER_THROTTLE_H
#define ARGO_BROKER_THROTTLE_H

#include "defs.h"

#define BTHR_SIZE		4096
/*
 * 8 s: a guess per account per 8 s at most, and a held reply plus the
 * failure's second stays within the 10 s a stop gives sessions; a longer
 * hold would also keep a worker (of max_clients) busy for the guesser.
 */
#define BTHR_STEP_MAX_MS	8000
#define BTHR_QUEUE_MAX_MS	8000

/* A source: acl_host_key()'s family and key; AF_UNIX keys on the uid,
 * AF_UNSPEC (the peer is unknown) is one source for all. */
struct bthr_src {
	int		s_fam;
	unsigned char	s_key[16];
	unsigned int	s_bits;		/* the IPv6 prefix, for the log */
};

/* What bthr_begin() decided for one attempt. */
struct bthr_verdict {
	long long	v_hold_ms;	/* answer no sooner than this after
					   the request (0: at once) */
	int		v_clean;	/* the source has no failure on record:
					   a correct password is answered at
					   once whatever v_hold_ms says */
	int		v_check;	/* 0: refused, the password unchecked */
};

/*
 * An attempt on user from src at now (ms): decide and note its wait.  after
 * 0 turns the brake off (every verdict: no wait, checked).
 */
void	bthr_begin(const char *user, const struct bthr_src *src, int after,
	    int window_s, long long now, struct bthr_verdict *v);
/* A checked attempt failed: count it.  peer is the printable source, for
 * the once-a-window "auth throttled" line. */
void	bthr_failed(const char *user, const struct bthr_src *src,
	    const char *peer, int after, int window_s, long long now);
/* Forget everything (unit tests). */
void	bthr_reset(void);

#endif
