/*
 * broker_auth.c: `auth` in the broker.  auth_begin() and auth_done() run in
 * the broker itself, where the brake's counts live (broker_throttle.c);
 * auth_run() runs in the request's child, which inherited the verdict.
 *
 * How long a failure takes must not tell which accounts exist, nor how
 * costly their hashes are.  So a failure checks the password against one
 * hash of every distinct method and cost in the configuration (hashcost.h)
 * — the named account's own, then one of each other — and an unknown name
 * checks one of each: the same work either way, whatever the load of the
 * host, with nothing to measure or calibrate.  The answer comes no sooner
 * than ARGO_AUTH_DELAY_MS after the request, and the brake's wait is added
 * to that.  A success is answered as soon as its one check is done.
 */
#include <sys/socket.h>

#include <crypt.h>
#include <string.h>
#include <time.h>

#include "acl.h"
#include "broker_auth.h"
#include "broker_throttle.h"
#include "hashcost.h"
#include "log.h"
#include "util.h"

#define AUTH_LIMIT_MS	30000

static char			dummy_hash[CRYPT_OUTPUT_SIZE];
static struct crypt_data	cdata;

/* Each channel's auth in flight: one request at a time per channel. */
static struct pending {
	struct bthr_verdict	p_v;
	struct bthr_src		p_src;
} pending[BROKER_MAX_CHANS];

/*
 * A configuration without accounts checks an unknown name against a dummy
 * hash of the default method, so that a failure costs a check there too.
 */
void
job_init(void)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*h = NULL;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) != NULL)
		h = crypt_rn("argo-server dummy password", salt, &cdata,
		    sizeof(cdata));
	if (h == NULL || h[0] == '*')
		h = "$6$argoargoargoargo$3y8xvXyPQH1tJ6J2y6Yq3bOo0sZ7c3c9p9z5"
		    "bBqCqfG0sW8g3sO3oZo8q9Kq3u1zjCw0v9k6YJ0b1rjGm6zq1";
	util_strlcpy(dummy_hash, h, sizeof(dummy_hash));
	explicit_bzero(&cdata, sizeof(cdata));
}

/* The source the kernel named (broker_peer.c), as the brake counts it. */
static void
source(const struct bchan *ch, unsigned int prefix6, struct bthr_src *s)
{
	memset(s, 0, sizeof(*s));
	s->s_bits = prefix6;
	if (ch->ch_peer_ss.ss_family == AF_UNIX) {
		s->s_fam = AF_UNIX;
		memcpy(s->s_key, &ch->ch_peer_uid, sizeof(ch->ch_peer_uid));
		return;
	}
	if (acl_host_key((const struct sockaddr *)&ch->ch_peer_ss,
	    sizeof(ch->ch_peer_ss), prefix6, &s->s_fam, s->s_key) == -1) {
		memset(s, 0, sizeof(*s));
		s->s_fam = AF_UNSPEC;		/* unknown: one source */
	}
}

void
auth_begin(const struct bchan *ch, const struct priv_req *rq)
{
	const struct config	*c = ch->ch_bc->bc_conf;
	struct pending		*p = &pending[ch->ch_index];

	source(ch, (unsigned int)c->c_per_host_prefix6, &p->p_src);
	bthr_begin(rq->r_user, &p->p_src, c->c_auth_throttle_after,
	    c->c_auth_throttle_window, util_now_ms(), &p->p_v);
}

long
auth_limit_ms(const struct bchan *ch)
{
	return (AUTH_LIMIT_MS + (long)pending[ch->ch_index].p_v.v_hold_ms);
}

void
auth_done(const struct bchan *ch, const struct priv_req *rq, int status)
{
	const struct config	*c = ch->ch_bc->bc_conf;
	const struct pending	*p = &pending[ch->ch_index];

	if (status == PRIV_BADAUTH && p->p_v.v_check)
		bthr_failed(rq->r_user, &p->p_src, ch->ch_peer,
		    c->c_auth_throttle_after, c->c_auth_throttle_window,
		    util_now_ms());
}

static void
sleep_until(long long deadline)
{
	struct timespec	ts;
	long long	left;

	while ((left = deadline - util_now_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		if (nanosleep(&ts, NULL) == 0)
			break;
	}
}

static int
check(const char *pw, const char *hash)
{
	const char	*h;
	int		 ok;

	h = crypt_rn(pw, hash, &cdata, sizeof(cdata));
	/* libxcrypt fails with a '*' token, others with NULL. */
	ok = h != NULL && h[0] != '*' && util_streq_ct(h, hash);
	explicit_bzero(&cdata, sizeof(cdata));
	return (ok);
}

/* The rest of a failure's work: one check of every cost but own's. */
static void
check_the_others(const struct config *c, const char *pw, const char *own)
{
	size_t	rep[HASHCOST_MAX + 1], n, k;

	/* config.c refused more than HASHCOST_MAX at load. */
	n = hashcost_reps(c->c_users, c->c_nusers, rep, HASHCOST_MAX);
	if (n > HASHCOST_MAX)
		n = HASHCOST_MAX;
	if (n == 0 && own == NULL)
		(void)check(pw, dummy_hash);
	for (k = 0; k < n; k++) {
		const char *h = c->c_users[rep[k]].u_hash;

		if (own == NULL || !hashcost_same(h, own))
			(void)check(pw, h);
	}
}

size_t
auth_run(const struct bchan *ch, const struct priv_req *rq,
    struct priv_rep *rep)
{
	const struct config	*c = ch->ch_bc->bc_conf;
	const struct bthr_verdict *v = &pending[ch->ch_index].p_v;
	const struct user	*u = NULL;
	const char		*pw = rq->r_password;
	long long		 start = util_now_ms(), done;
	char			 safe[ARGO_LOG_SANITIZE + 1];

	rep->p_status = PRIV_BADAUTH;
	if (!v->v_check) {
		/* The brake's queue is full: the password is not looked at
		 * (auth_done() counts nothing; the brake logs it). */
		sleep_until(start + ARGO_AUTH_DELAY_MS);
		return (sizeof(*rep));
	}
	if (rq->r_flags & PRIV_F_LONGPW)
		pw = "-";	/* no valid password is that long */
	if (!(rq->r_flags & PRIV_F_BADUSER))
		u = config_user(c, rq->r_user);
	/* An account reached only through unix_users has no password. */
	if (u != NULL && u->u_hash == NULL)
		u = NULL;
	if (u != NULL && check(pw, u->u_hash) &&
	    !(rq->r_flags & PRIV_F_LONGPW)) {
		/* A source that has failed waits as a guess would. */
		if (!v->v_clean)
			sleep_until(start + v->v_hold_ms);
		log_info("auth ok peer=%s user=%s", ch->ch_peer, u->u_name);
		rep->p_status = PRIV_OK;
		return (sizeof(*rep));
	}
	check_the_others(c, pw, u != NULL ? u->u_hash : NULL);
	done = util_now_ms();
	if (done < start + ARGO_AUTH_DELAY_MS)
		done = start + ARGO_AUTH_DELAY_MS;
	sleep_until(done + v->v_hold_ms);
	log_info("auth failed peer=%s user=%s", ch->ch_peer,
	    log_sanitize(safe, sizeof(safe), rq->r_user, strlen(rq->r_user)));
	return (sizeof(*rep));
}
