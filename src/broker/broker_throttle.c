/*
 * broker_throttle.c: the brake on password guessing (broker_throttle.h).
 * Runs in the broker.  Every attempt's wait is decided here, in one
 * process, before its child starts: N parallel connections that guess at
 * one account queue behind each other instead of each waiting 1 s.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "broker_throttle.h"
#include "log.h"
#include "util.h"

enum { T_FREE, T_USER, T_SRC };

struct tent {
	int		t_kind;
	struct bthr_src	t_src;			/* T_SRC */
	char		t_user[ARGO_MAX_NAME + 1];	/* T_USER */
	int		t_fails;		/* since the run began */
	int		t_refused;		/* since the last log line */
	long long	t_last;			/* last failure, ms */
	long long	t_next;			/* the last answer queued, ms */
	long long	t_logged;		/* last log line, 0: none */
};

static struct tent	table[BTHR_SIZE];

void
bthr_reset(void)
{
	memset(table, 0, sizeof(table));
}

static int
live(const struct tent *t, int window_s, long long now)
{
	return (t->t_kind != T_FREE &&
	    now - t->t_last < (long long)window_s * 1000);
}

static int
same(const struct tent *t, int kind, const char *user,
    const struct bthr_src *src)
{
	if (t->t_kind != kind)
		return (0);
	if (kind == T_USER)
		return (strcmp(t->t_user, user) == 0);
	return (t->t_src.s_fam == src->s_fam &&
	    memcmp(t->t_src.s_key, src->s_key, sizeof(src->s_key)) == 0);
}

/* The live entry of user (T_USER) or src (T_SRC), or NULL. */
static struct tent *
find(int kind, const char *user, const struct bthr_src *src, int window_s,
    long long now)
{
	size_t	i;

	for (i = 0; i < BTHR_SIZE; i++)
		if (same(&table[i], kind, user, src))
			return (live(&table[i], window_s, now) ? &table[i] :
			    NULL);
	return (NULL);
}

/* Its entry, new if need be: a stale one, else the oldest gives way. */
static struct tent *
get(int kind, const char *user, const struct bthr_src *src, int window_s,
    long long now)
{
	struct tent	*t = NULL, *old = NULL;
	size_t		 i;

	for (i = 0; i < BTHR_SIZE && t == NULL; i++) {
		if (same(&table[i], kind, user, src))
			t = &table[i];
		else if (old == NULL || !live(&table[i], window_s, now) ||
		    (live(old, window_s, now) &&
		    table[i].t_last < old->t_last))
			old = &table[i];
	}
	if (t != NULL && live(t, window_s, now))
		return (t);
	if (t == NULL)
		t = old;
	memset(t, 0, sizeof(*t));
	t->t_kind = kind;
	if (kind == T_USER)
		util_strlcpy(t->t_user, user, sizeof(t->t_user));
	else
		t->t_src = *src;
	return (t);
}

/* The wait one more attempt adds: 1 s, doubling per failure, capped. */
static long long
step(const struct tent *t, int after)
{
	int	k = t->t_fails - after;

	return (k >= 5 ? BTHR_STEP_MAX_MS :
	    (1000LL << k) > BTHR_STEP_MAX_MS ? BTHR_STEP_MAX_MS : 1000LL << k);
}

/* When this attempt may be answered, behind the ones queued on t. */
static long long
slot(const struct tent *t, int after, long long now)
{
	if (t == NULL || t->t_fails < after)
		return (now);
	return ((t->t_next > now ? t->t_next : now) + step(t, after));
}

void
bthr_begin(const char *user, const struct bthr_src *src, int after,
    int window_s, long long now, struct bthr_verdict *v)
{
	struct tent	*u, *s;
	long long	 su, ss, at;

	memset(v, 0, sizeof(*v));
	v->v_check = 1;
	v->v_clean = 1;
	if (after <= 0)
		return;
	u = find(T_USER, user, src, window_s, now);
	s = find(T_SRC, user, src, window_s, now);
	v->v_clean = s == NULL;
	su = slot(u, after, now);
	ss = slot(s, after, now);
	at = su > ss ? su : ss;
	v->v_hold_ms = at - now;
	if (v->v_hold_ms <= BTHR_QUEUE_MAX_MS && !v->v_clean) {
		/* Queue it: the next attempt waits behind this one. */
		if (u != NULL && su > now)
			u->t_next = su;
		if (s != NULL && ss > now)
			s->t_next = ss;
		return;
	}
	if (v->v_clean) {
		/* Only its failure waits; it takes no place in the queue. */
		if (v->v_hold_ms > BTHR_QUEUE_MAX_MS)
			v->v_hold_ms = BTHR_QUEUE_MAX_MS;
		return;
	}
	/* The queue is full: not even checked; counted for the log. */
	v->v_check = 0;
	v->v_hold_ms = 0;
	if (u != NULL && u->t_fails >= after)
		u->t_refused++;
	if (s != NULL && s->t_fails >= after)
		s->t_refused++;
}

/* The source as logged: the IPv6 prefix counted, else the peer. */
static void
src_str(const struct tent *t, const char *peer, char *buf, size_t len)
{
	char	net[INET6_ADDRSTRLEN];

	if (t->t_src.s_fam == AF_INET6 && inet_ntop(AF_INET6, t->t_src.s_key,
	    net, sizeof(net)) != NULL)
		(void)snprintf(buf, len, "%s/%u", net, t->t_src.s_bits);
	else
		util_strlcpy(buf, peer, len);
}

static void
note(struct tent *t, const char *user, const char *peer, int after,
    int window_s, long long now)
{
	char	safe[ARGO_LOG_SANITIZE + 1], src[INET6_ADDRSTRLEN + 8];

	t->t_fails++;
	t->t_last = now;
	if (t->t_fails < after || (t->t_logged != 0 &&
	    now - t->t_logged < (long long)window_s * 1000))
		return;
	/* Once a window: when the brake engages, then while it holds. */
	(void)log_sanitize(safe, sizeof(safe), user, strlen(user));
	if (t->t_kind == T_USER)
		util_strlcpy(src, peer, sizeof(src));
	else
		src_str(t, peer, src, sizeof(src));
	log_info("auth throttled by=%s user=%s peer=%s failures=%d "
	    "refused=%d window=%d", t->t_kind == T_USER ? "account" :
	    "source", safe, src, t->t_fails, t->t_refused, window_s);
	t->t_logged = now;
	t->t_refused = 0;
}

void
bthr_failed(const char *user, const struct bthr_src *src, const char *peer,
    int after, int window_s, long long now)
{
	if (after <= 0)
		return;
	note(get(T_USER, user, src, window_s, now), user, peer, after,
	    window_s, now);
	note(get(T_SRC, user, src, window_s, now), user, peer, after,
	    window_s, now);
}
