/*
 * broker_watch.c: `watch`, in the broker (root): the watching sessions.
 *
 * Every watching session is served by one poll of the toolstack
 * (broker_watch_poll.c): each result is merged with the broker's own scan
 * of xen_dir into what every instance looks like, compared with the last
 * one (watchstate.c), and each line queued for each watcher whose account
 * sees that instance (scoping as for list and status, from the account
 * the broker knows, ch_user).  A new watcher gets the last result whole
 * first (its snapshot), or the next one's when there is none yet.  A
 * change that comes and goes between two polls is not seen: xl has no
 * events to tell us.
 *
 * A worker asks for lines (PRIV_WATCH_NEXT, privmsg.h) and the broker
 * holds that request until it has some, so the channel never carries a
 * reply nobody asked for and the broker never waits on a worker.  The
 * worker asks again as soon as it has the lines.  One that has more than
 * WATCH_QUEUE_MAX queued and has not asked since the last poll when the
 * next poll's lines come is told PRIV_OVERRUN at its next question and
 * its queue is dropped, so no watcher costs the broker more than that and
 * one poll's lines (which, like a snapshot, are bounded by the map).
 *
 * A poll that fails or times out is one line for each watcher, once until
 * a poll succeeds again; the last good result stays the reference.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"
#include "util.h"
#include "watchstate.h"

#define WATCH_QUEUE_MAX	(256 * 1024)	/* lines held, not asked for */

/* One watching session (ch_watch). */
struct bwatch {
	char		*w_buf;		/* lines not asked for yet */
	size_t		 w_len, w_cap;
	int		 w_held;	/* a NEXT waits for lines */
	int		 w_asked;	/* a NEXT came since the last poll */
	int		 w_snap;	/* its snapshot is queued */
	int		 w_failed;	/* told of the current failure */
	int		 w_overrun;	/* 1: dropped, 2: and logged */
};

static struct wseen	*seen;		/* the last good poll, by name */
static size_t		 nseen;
static int		 have_seen;
static char		 seen_at[WATCH_STAMP_LEN];
static int		 nwatchers;
static int		 failing;	/* the last poll failed */

static unsigned char	 repbuf[PRIV_REP_MAX];

/* Before a poll's lines: a watcher that left too many unasked is over. */
static void
overrun(void)
{
	struct bwatch	*w;
	int		 i;

	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		if (broker_chans[i] == NULL || broker_chans[i]->ch_fd == -1 ||
		    (w = broker_chans[i]->ch_watch) == NULL)
			continue;
		/* Still asking, it is only behind: a snapshot, a burst. */
		if (w->w_asked || w->w_len <= WATCH_QUEUE_MAX ||
		    w->w_overrun) {
			w->w_asked = 0;
			continue;
		}
		w->w_overrun = 1;
		free(w->w_buf);
		w->w_buf = NULL;
		w->w_len = w->w_cap = 0;
	}
}

/* Queue a line, unless the queue was dropped, once and for all. */
static void
queue(struct bwatch *w, const char *line, size_t len)
{
	char	*nb;

	if (w->w_overrun)
		return;
	if (w->w_len + len > w->w_cap) {
		size_t	cap = w->w_cap ? w->w_cap : 4096;

		while (cap < w->w_len + len)
			cap *= 2;
		/* Copied, not realloc'd: util.h has no realloc that dies. */
		nb = util_xmalloc(cap);
		if (w->w_len > 0)
			memcpy(nb, w->w_buf, w->w_len);
		free(w->w_buf);
		w->w_buf = nb;
		w->w_cap = cap;
	}
	memcpy(w->w_buf + w->w_len, line, len);
	w->w_len += len;
}

/* The held NEXT of ch gets what is queued (whole lines), if anything. */
static void
answer(struct bchan *ch, int empty_ok)
{
	struct bwatch	*w = ch->ch_watch;
	struct priv_rep	 rep;
	size_t		 n = 0;

	if (!w->w_held || (w->w_len == 0 && !w->w_overrun && !empty_ok))
		return;
	memset(&rep, 0, sizeof(rep));
	rep.p_magic = PRIV_MAGIC;
	rep.p_type = PRIV_WATCH_NEXT;
	rep.p_status = PRIV_OK;
	if (w->w_overrun) {
		rep.p_status = PRIV_OVERRUN;
		if (w->w_overrun++ == 1)
				log_warnx("watch of worker %ld (peer=%s user=%s): "
			    "over %d kB not asked for; ending it",
			    (long)ch->ch_pid, ch->ch_peer, ch->ch_user ?
			    ch->ch_user->u_name : "-", WATCH_QUEUE_MAX / 1024);
		w->w_overrun = 2;
	} else if (w->w_len > 0) {	/* else an empty answer (the end) */
		n = w->w_len;
		if (n > PRIV_OUT_MAX) {
			/* Whole lines only: the last LF that fits ends it. */
			n = PRIV_OUT_MAX;
			while (n > 0 && w->w_buf[n - 1] != '\n')
				n--;
		}
		memcpy(repbuf + sizeof(rep), w->w_buf, n);
		memmove(w->w_buf, w->w_buf + n, w->w_len - n);
		w->w_len -= n;
		if (w->w_len == 0 && w->w_cap > PRIV_OUT_MAX) {
			free(w->w_buf);		/* a snapshot's worth, not kept */
			w->w_buf = NULL;
			w->w_cap = 0;
		}
	}
	rep.p_outlen = (uint32_t)n;
	memcpy(repbuf, &rep, sizeof(rep));
	w->w_held = 0;
	bchan_send(ch, repbuf, sizeof(rep) + n, -1);	/* may close ch */
}

static void
answer_all(void)
{
	int	i;

	for (i = 0; i < BROKER_MAX_CHANS; i++)
		if (broker_chans[i] != NULL && broker_chans[i]->ch_fd != -1 &&
		    broker_chans[i]->ch_watch != NULL)
			answer(broker_chans[i], 0);
}

/* ch's snapshot: every instance its account sees, as last seen. */
static void
snapshot(struct bchan *ch)
{
	struct bwatch	*w = ch->ch_watch;
	char		 line[WATCH_LINE_MAX];
	size_t		 i, n;

	w->w_snap = 1;
	for (i = 0; i < nseen; i++)
		if (config_user_sees(ch->ch_user, seen[i].s_name) &&
		    (n = wstate_format(line, seen_at, &seen[i], 0)) > 0)
			queue(w, line, n);
}

/* A line about instance name, for every watcher that sees it. */
static void
broadcast(const char *name, const char *line, size_t len, void *arg)
{
	struct bchan	*ch;
	int		 i;

	(void)arg;
	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		ch = broker_chans[i];
		if (ch != NULL && ch->ch_fd != -1 && ch->ch_watch != NULL &&
		    ch->ch_watch->w_snap && (name == NULL ||
		    config_user_sees(ch->ch_user, name)))
			queue(ch->ch_watch, line, len);
	}
}

/* A good poll: the changes to the watchers, the snapshot to new ones. */
static void
polled(const struct domlist *dl)
{
	struct wseen	*now;
	char		 at[WATCH_STAMP_LEN];
	size_t		 nnow;
	int		 k;

	if (nwatchers == 0)
		return;		/* nobody left to tell */
	now = wstate_look(dl, broker_scan(), &nnow);
	wstate_stamp(at);
	overrun();
	failing = 0;
	if (have_seen)
		wstate_diff(seen, nseen, now, nnow, at, broadcast, NULL);
	free(seen);
	seen = now;
	nseen = nnow;
	have_seen = 1;
	util_strlcpy(seen_at, at, sizeof(seen_at));
	for (k = 0; k < BROKER_MAX_CHANS; k++) {
		struct bchan *ch = broker_chans[k];

		if (ch == NULL || ch->ch_fd == -1 || ch->ch_watch == NULL)
			continue;
		ch->ch_watch->w_failed = 0;
		if (!ch->ch_watch->w_snap)
			snapshot(ch);
	}
	answer_all();
}

/* A failed poll: one line to each watcher not told yet. */
static void
failed(const char *summary)
{
	char	at[WATCH_STAMP_LEN], line[WATCH_LINE_MAX];
	size_t	i;
	int	k, n;

	if (nwatchers == 0)
		return;
	if (!failing)
		log_warnx("watch: the toolstack's list failed: %s", summary);
	failing = 1;
	wstate_stamp(at);
	overrun();
	n = snprintf(line, sizeof(line), "%s - toolstack failed: %s\n", at,
	    summary);
	if (n <= 0 || (size_t)n >= sizeof(line))
		return;
	/* The tool's words: one line of printable bytes. */
	for (i = 0; i + 1 < (size_t)n; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	for (k = 0; k < BROKER_MAX_CHANS; k++) {
		struct bchan *ch = broker_chans[k];

		if (ch == NULL || ch->ch_fd == -1 || ch->ch_watch == NULL ||
		    ch->ch_watch->w_failed)
			continue;
		ch->ch_watch->w_failed = 1;
		queue(ch->ch_watch, line, (size_t)n);
	}
	answer_all();
}

static int
watchers(void)
{
	return (nwatchers);
}

void
bwatch_init(void)
{
	bwatch_poll_init(watchers, polled, failed);
}

void
bwatch_start(struct bchan *ch, const struct priv_req *rq)
{
	ch->ch_watch = util_xcalloc(1, sizeof(*ch->ch_watch));
	nwatchers++;
	log_debug("watch peer=%s user=%s: start (%d watching)", ch->ch_peer,
	    ch->ch_user ? ch->ch_user->u_name : "-", nwatchers);
	if (have_seen)
		snapshot(ch);
	else
		bwatch_poll_now();	/* the first: at once */
	bchan_reply(ch, rq, PRIV_OK, 0, -1);
}

int
bwatch_next(struct bchan *ch, const struct priv_req *rq)
{
	if (ch->ch_watch->w_held)
		return (-1);
	(void)rq;
	ch->ch_watch->w_held = 1;
	ch->ch_watch->w_asked = 1;
	answer(ch, 0);
	return (0);
}

void
bwatch_end(struct bchan *ch, const struct priv_req *rq)
{
	answer(ch, 1);		/* the NEXT held, if any, first */
	if (ch->ch_fd == -1)
		return;		/* closed meanwhile: left already */
	bwatch_leave(ch);
	bchan_reply(ch, rq, PRIV_OK, 0, -1);
}

void
bwatch_leave(struct bchan *ch)
{
	struct bwatch	*w = ch->ch_watch;

	if (w == NULL)
		return;
	free(w->w_buf);
	free(w);
	ch->ch_watch = NULL;
	if (--nwatchers > 0)
		return;
	/* Nobody watches: no more polls, and the last one goes stale. */
	log_debug("watch: nobody watches");
	free(seen);
	seen = NULL;
	nseen = 0;
	have_seen = 0;
	failing = 0;
}
