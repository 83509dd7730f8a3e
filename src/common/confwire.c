/*
 * confwire.c: the worker's share of the configuration on the wire
 * (confwire.h).  Little more than a list: 32-bit numbers in host order
 * (both ends are the same build of the same machine; handoff.h's version
 * guards an upgrade), a string is its length and its bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confwire.h"
#include "util.h"
#include "xencfg.h"

#define CW_MAGIC	0x43577241U	/* "ArWC" */

struct wbuf {
	unsigned char	*b;
	size_t		 len, cap;
};

static void
put(struct wbuf *w, const void *p, size_t n)
{
	unsigned char	*nb;

	if (w->len + n > w->cap) {
		w->cap = (w->len + n) * 2;
		nb = util_xmalloc(w->cap);
		if (w->len > 0)
			memcpy(nb, w->b, w->len);
		free(w->b);
		w->b = nb;
	}
	memcpy(w->b + w->len, p, n);
	w->len += n;
}

static void
put_u32(struct wbuf *w, uint32_t v)
{
	put(w, &v, sizeof(v));
}

static void
put_str(struct wbuf *w, const char *s)
{
	size_t	n = strlen(s);

	put_u32(w, (uint32_t)n);
	put(w, s, n);
}

unsigned char *
confwire_pack(const struct config *c, size_t *lenp)
{
	struct wbuf	 w = { NULL, 0, 0 };
	size_t		 i, j;

	put_u32(&w, CW_MAGIC);
	put_u32(&w, (uint32_t)c->c_workers);
	put_u32(&w, (uint32_t)c->c_max_clients);
	put_u32(&w, (uint32_t)c->c_max_per_host);
	put_u32(&w, (uint32_t)c->c_per_host_prefix6);
	put_u32(&w, (uint32_t)c->c_idle_timeout);
	put_u32(&w, (uint32_t)c->c_login_timeout);
	put_u32(&w, (uint32_t)c->c_max_auth_tries);
	put_u32(&w, (uint32_t)c->c_anonymous_read);
	put_u32(&w, (uint32_t)c->c_nallow);
	for (i = 0; i < c->c_nallow; i++) {
		put_u32(&w, (uint32_t)c->c_allow[i].family);
		put(&w, c->c_allow[i].addr, sizeof(c->c_allow[i].addr));
		put_u32(&w, c->c_allow[i].prefix);
	}
	put_u32(&w, (uint32_t)c->c_nusers);
	for (i = 0; i < c->c_nusers; i++) {
		const struct user *u = &c->c_users[i];

		put_str(&w, u->u_name);
		put_u32(&w, (uint32_t)u->u_readonly);
		put_u32(&w, (uint32_t)u->u_all);
		put_u32(&w, (uint32_t)(u->u_all ? 0 : u->u_ninstances));
		for (j = 0; !u->u_all && j < u->u_ninstances; j++)
			put_str(&w, u->u_instances[j]);
	}
	*lenp = w.len;
	return (w.b);
}

struct rbuf {
	const unsigned char	*b;
	size_t			 len, off;
	int			 bad;
};

static uint32_t
get_u32(struct rbuf *r)
{
	uint32_t	v = 0;

	if (r->bad || r->len - r->off < sizeof(v)) {
		r->bad = 1;
		return (0);
	}
	memcpy(&v, r->b + r->off, sizeof(v));
	r->off += sizeof(v);
	return (v);
}

/* A count of at most max, or bad. */
static size_t
get_count(struct rbuf *r, size_t max)
{
	uint32_t	v = get_u32(r);

	if (v > max)
		r->bad = 1;
	return (r->bad ? 0 : v);
}

static int
get_int(struct rbuf *r, int lo, int hi)
{
	int	v = (int)get_u32(r);

	if (v < lo || v > hi)
		r->bad = 1;
	return (r->bad ? lo : v);
}

/* A valid name (an account or an instance), or NULL and bad. */
static char *
get_name(struct rbuf *r)
{
	size_t	n = get_count(r, ARGO_MAX_NAME);
	char	*s;

	if (r->bad || r->len - r->off < n ||
	    xencfg_name_valid((const char *)r->b + r->off, n) != 1) {
		r->bad = 1;
		return (NULL);
	}
	s = util_xmalloc(n + 1);
	memcpy(s, r->b + r->off, n);
	s[n] = '\0';
	r->off += n;
	return (s);
}

static void
get_user(struct rbuf *r, struct user *u)
{
	size_t	j;

	u->u_name = get_name(r);
	u->u_readonly = get_int(r, 0, 1);
	u->u_all = get_int(r, 0, 1);
	u->u_ninstances = get_count(r, ARGO_MAX_INSTANCES);
	/* instances = * lists none: one form for one meaning. */
	if (u->u_all && u->u_ninstances > 0)
		r->bad = 1;
	if (r->bad) {
		u->u_ninstances = 0;
		return;
	}
	u->u_instances = util_xcalloc(u->u_ninstances + 1, sizeof(char *));
	for (j = 0; j < u->u_ninstances && !r->bad; j++)
		u->u_instances[j] = get_name(r);
}

int
confwire_unpack(const unsigned char *buf, size_t len, struct config **out,
    char *err, size_t errlen)
{
	static const unsigned char zero[12];
	struct rbuf	 r = { buf, len, 0, 0 };
	struct config	*c;
	size_t		 i;

	c = util_xcalloc(1, sizeof(*c));
	if (get_u32(&r) != CW_MAGIC)
		r.bad = 1;
	c->c_workers = get_int(&r, 1, ARGO_HARD_MAX_CLIENTS);
	c->c_max_clients = get_int(&r, 1, ARGO_HARD_MAX_CLIENTS);
	c->c_max_per_host = get_int(&r, 0, ARGO_HARD_MAX_CLIENTS);
	c->c_per_host_prefix6 = get_int(&r, 1, 128);
	c->c_idle_timeout = get_int(&r, 0, INT32_MAX);
	c->c_login_timeout = get_int(&r, 0, INT32_MAX);
	c->c_max_auth_tries = get_int(&r, 0, INT32_MAX);
	c->c_anonymous_read = get_int(&r, 0, 1);
	c->c_nallow = get_count(&r, ARGO_MAX_ACL);
	if (!r.bad && c->c_nallow > 0)
		c->c_allow = util_xcalloc(c->c_nallow, sizeof(*c->c_allow));
	for (i = 0; i < c->c_nallow && !r.bad; i++) {
		struct acl_entry *e = &c->c_allow[i];

		e->family = (int)get_u32(&r);
		if (r.bad || r.len - r.off < sizeof(e->addr)) {
			r.bad = 1;
			break;
		}
		memcpy(e->addr, r.b + r.off, sizeof(e->addr));
		r.off += sizeof(e->addr);
		e->prefix = get_u32(&r);
		if ((e->family != AF_INET || e->prefix > 32 ||
		    memcmp(e->addr + 4, zero, sizeof(zero)) != 0) &&
		    (e->family != AF_INET6 || e->prefix > 128))
			r.bad = 1;
	}
	c->c_nusers = r.bad ? 0 : get_count(&r, ARGO_MAX_USERS);
	if (!r.bad && c->c_nusers > 0)
		c->c_users = util_xcalloc(c->c_nusers, sizeof(*c->c_users));
	for (i = 0; i < c->c_nusers && !r.bad; i++)
		get_user(&r, &c->c_users[i]);
	if (r.bad || r.off != r.len) {
		(void)snprintf(err, errlen, "configuration from the master: "
		    "malformed at byte %zu of %zu", r.off, r.len);
		config_free(c);
		return (-1);
	}
	*out = c;
	return (0);
}
