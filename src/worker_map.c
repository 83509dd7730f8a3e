/*
 * worker_map.c: a worker's view of the instances (worker_map.h).  Runs in
 * the chrooted, filtered worker, which cannot open xen_dir: the broker
 * scans it and publishes the map in shared memory (imap.c), and hands the
 * worker an inotify descriptor on xen_dir, since the worker cannot make
 * one itself.  The worker drains that watch before it asks for a rescan,
 * so a change made after the drain is seen by the rescan or by the next
 * request; changes inotify cannot see are caught by the rescan at least
 * every DIRWATCH_RECHECK_MS, as in the broker's own cache.  In the steady
 * state a request costs one read() of the watch and no message.
 */
#include <unistd.h>

#include "dirwatch.h"
#include "imap.h"
#include "util.h"
#include "worker_ask.h"
#include "worker_map.h"

static struct instances	 mine;		/* our copy */
static uint64_t		 mine_seq;
static unsigned int	 mine_flags;
static int		 watch = -1;
static long long	 asked;		/* util_now_ms() of the last rescan */

static int
stale(long long now)
{
	int	q;

	if (watch == -1 || now - asked >= DIRWATCH_RECHECK_MS ||
	    !(mine_flags & IMAP_F_WATCHABLE))
		goto drain;
	if ((q = dirwatch_drain(watch, instances_is_cfg_name)) == 1)
		return (0);
	if (q == -1) {
		close(watch);	/* the directory itself moved: a new watch */
		watch = -1;
	}
	return (1);
drain:
	/* What is pending now is covered by the rescan we are about to ask. */
	if (watch != -1 && dirwatch_drain(watch, instances_is_cfg_name) ==
	    -1) {
		close(watch);
		watch = -1;
	}
	return (1);
}

static void
rescan(long long now)
{
	struct priv_req		 rq;
	int			 fd;

	privmsg_req_init(&rq, PRIV_SCAN);
	if (watch == -1)
		rq.r_flags = PRIV_F_WATCH;
	if (ask(&rq, &fd) == NULL)
		return;
	if (fd != -1) {
		if (watch != -1)
			close(watch);
		watch = fd;
	}
	asked = now;
}

const struct instances *
wmap_get(void)
{
	long long	now = util_now_ms();
	uint64_t	seq;

	if (stale(now))
		rescan(now);
	if (imap_seq() != mine_seq &&
	    (seq = imap_copy(&mine, &mine_flags)) != 0)
		mine_seq = seq;
	return (&mine);
}
