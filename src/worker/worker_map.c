/*
 * worker_map.c: a worker's view of the instances (worker_map.h).  Runs in
 * the chrooted, filtered worker, which cannot open xen_dir: the broker
 * scans it and publishes the map in shared memory (imap.c), together with
 * a signal that says whether xen_dir may have changed since.  A worker
 * holds no inotify descriptor of its own (issue 17: root's instances are
 * shared by the whole host): it polls the broker's through the shared
 * epoll, and asks for a rescan only when that says so; changes inotify
 * cannot see are caught by a rescan at least every DIRWATCH_RECHECK_MS,
 * as in the broker's own cache.  In the steady state a request costs one
 * epoll_wait() and no message.
 */
#include "defs.h"
#include "imap.h"
#include "util.h"
#include "worker_ask.h"
#include "worker_map.h"

static struct instances	 mine;		/* our copy */
static uint64_t		 mine_seq;
static unsigned int	 mine_flags;
static long long	 asked;		/* util_now_ms() of the last rescan */

static int
stale(long long now)
{
	return (mine_seq == 0 || now - asked >= DIRWATCH_RECHECK_MS ||
	    !(mine_flags & IMAP_F_WATCHABLE) || imap_unsettled());
}

static void
rescan(long long now)
{
	struct priv_req		 rq;

	privmsg_req_init(&rq, PRIV_SCAN);
	if (ask(&rq, NULL) != NULL)
		asked = now;
}

/* Our copy of the map the broker published last. */
static void
take(void)
{
	uint64_t	seq;

	if (imap_seq() != mine_seq &&
	    (seq = imap_copy(&mine, &mine_flags)) != 0)
		mine_seq = seq;
}

/*
 * Whether to ask for a rescan is judged on the map published last, not
 * on our older copy: another worker's request may have published one
 * that nothing watches (xen_dir unreadable: the empty map), and only a
 * rescan can tell whether that still holds.
 */
const struct instances *
wmap_get(void)
{
	long long	now = util_now_ms();

	take();
	if (stale(now)) {
		rescan(now);
		take();
	}
	return (&mine);
}
