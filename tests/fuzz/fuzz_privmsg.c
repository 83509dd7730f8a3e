/*
 * fuzz_privmsg.c: the broker's request decoder and the other two checkers.
 *
 * The input is one message from a worker gone bad.  privmsg_decode_req()
 * gets an exact-sized copy (so ASan sees a read past len) and writes into a
 * struct fenced by canaries (so a write past it is seen too).  An accepted
 * request must be what an honest worker sends and nothing else, checked
 * here field by field without privmsg.c's helpers: the exact size, the
 * magic, a known type, every string NUL-terminated and zero-padded in its
 * field, a non-empty printable (0x21-0x7e) peer, r_number only for mem-set
 * and vcpu-set (in range) and console end (>= 0), r_number2 only for console
 * end, no verb, user,
 * password or name where the type has none, valid names (xencfg_name_valid)
 * where it has one, flags from the type's set, the AUTH rules of the flags;
 * the watch's requests (WATCH, WATCH_NEXT, WATCH_END) carry nothing but
 * their type and session.
 * The decoded struct must equal the input, and so must the same request
 * built again the way a worker builds it (privmsg_req_init() and the
 * fields): no byte the decoder did not look at may get through.  A refused
 * one must leave a non-empty, printable, NUL-terminated reason inside the
 * buffer (it is logged), and a reason buffer of 8 bytes (or 1) must get a
 * prefix of that reason.  The
 * input one byte shorter or longer must be refused when it was accepted,
 * and an input longer than a request is tried by its first request's bytes.
 *
 * The same bytes are also a reply for each request type (privmsg_check_rep)
 * and a master<->broker message (privmsg_check_ctl, also on the input's
 * first sizeof(struct priv_ctl) bytes): what they accept must hold what
 * privmsg.h says of it, and one byte more or less must be refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "privmsg.h"
#include "xencfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

#define FENCE		64		/* canary bytes each side */
#define CANARY		0xa5
#define WHY_LEN		ARGO_ERR_LEN
#define WHY_FILL	0x7f		/* never part of a reason */

/* An exact-sized heap copy of buf[0..len), plus one byte `extra` if >= 0. */
static uint8_t *
copy(const uint8_t *buf, size_t len, int extra)
{
	size_t	 n = len + (extra >= 0);
	uint8_t	*p;

	CHECK((p = malloc(n > 0 ? n : 1)) != NULL);
	if (len > 0)
		memcpy(p, buf, len);
	if (extra >= 0)
		p[len] = (uint8_t)extra;
	return p;
}

static void
fence(unsigned char *area, size_t inner)
{
	memset(area, CANARY, FENCE + inner + FENCE);
}

static void
check_fence(const unsigned char *area, size_t inner)
{
	size_t	i;

	for (i = 0; i < FENCE; i++) {
		CHECK(area[i] == CANARY);
		CHECK(area[FENCE + inner + i] == CANARY);
	}
}

/* A string field: NUL inside, only NULs after it.  Its length. */
static size_t
check_field(const char *f, size_t size)
{
	const char	*nul = memchr(f, '\0', size);
	size_t		 i, n;

	CHECK(nul != NULL);
	n = (size_t)(nul - f);
	for (i = n; i < size; i++)
		CHECK(f[i] == '\0');
	return n;
}

static int
all_in(const char *s, size_t n, unsigned lo, unsigned hi)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > hi)
			return 0;
	return 1;
}

/* An accepted request: is it exactly what an honest worker sends? */
static void
check_accepted(const struct priv_req *rq, const uint8_t *buf, size_t len)
{
	struct priv_req	enc;
	size_t		user, name, pw, i;
	int		wants_name;

	CHECK(len == sizeof(*rq));
	CHECK(rq->r_magic == PRIV_MAGIC);
	CHECK(rq->r_type >= PRIV_AUTH && rq->r_type < PRIV_TYPE_MAX);
	user = check_field(rq->r_user, sizeof(rq->r_user));
	name = check_field(rq->r_name, sizeof(rq->r_name));
	pw = check_field(rq->r_password, sizeof(rq->r_password));
	if (rq->r_type == PRIV_CONTROL && rq->r_verb == PV_MEMSET)
		CHECK(rq->r_number >= PRIV_MEMSET_MIN &&
		    rq->r_number <= PRIV_MEMSET_MAX);
	else if (rq->r_type == PRIV_CONTROL && rq->r_verb == PV_VCPUSET)
		CHECK(rq->r_number >= PRIV_VCPUSET_MIN &&
		    rq->r_number <= PRIV_VCPUSET_MAX);
	else if (rq->r_type == PRIV_CONSOLE_END)
		CHECK(rq->r_number >= 0 && rq->r_number2 >= 0);
	else
		CHECK(rq->r_number == 0);
	if (rq->r_type != PRIV_CONSOLE_END)
		CHECK(rq->r_number2 == 0);

	if (rq->r_type == PRIV_CONTROL)
		CHECK(rq->r_verb >= PV_CREATE && rq->r_verb < PV_VERB_MAX &&
		    privmsg_verb_name(rq->r_verb) != NULL);
	else
		CHECK(rq->r_verb == 0);
	if (rq->r_type != PRIV_AUTH)
		CHECK(user == 0 && pw == 0);
	wants_name = rq->r_type == PRIV_RESOLVE || rq->r_type == PRIV_CONTROL ||
	    rq->r_type == PRIV_CONSOLE;
	if (wants_name)
		CHECK(name > 0 && xencfg_name_valid(rq->r_name, name));
	else
		CHECK(name == 0);

	if (rq->r_type == PRIV_WATCH || rq->r_type == PRIV_WATCH_NEXT ||
	    rq->r_type == PRIV_WATCH_END)
		CHECK(user == 0 && name == 0 && pw == 0 && rq->r_verb == 0 &&
		    rq->r_flags == 0 && rq->r_number == 0 &&
		    rq->r_number2 == 0);

	switch (rq->r_type) {
	case PRIV_AUTH:
		CHECK((rq->r_flags & ~(uint32_t)PRIV_F_AUTH_ALL) == 0);
		/* A sanitised copy when BADUSER: printable all the same. */
		CHECK(user > 0 && all_in(rq->r_user, user, 0x21, 0x7e));
		if (!(rq->r_flags & PRIV_F_BADUSER))
			CHECK(xencfg_name_valid(rq->r_user, user));
		if (rq->r_flags & PRIV_F_LONGPW)
			CHECK(pw == 0);
		/* What the line reader lets into a word. */
		for (i = 0; i < pw; i++)
			CHECK((unsigned char)rq->r_password[i] > 0x20 &&
			    (unsigned char)rq->r_password[i] != 0x7f);
		break;
	default:
		CHECK(rq->r_flags == 0);
		break;
	}

	/* Round trip: the copy, and the request built again from it. */
	CHECK(memcmp(rq, buf, sizeof(*rq)) == 0);
	privmsg_req_init(&enc, (enum priv_type)rq->r_type);
	enc.r_verb = rq->r_verb;
	enc.r_flags = rq->r_flags;
	enc.r_session = rq->r_session;
	enc.r_number = rq->r_number;
	enc.r_number2 = rq->r_number2;
	memcpy(enc.r_user, rq->r_user, user + 1);
	memcpy(enc.r_name, rq->r_name, name + 1);
	memcpy(enc.r_password, rq->r_password, pw + 1);
	CHECK(memcmp(&enc, buf, sizeof(enc)) == 0);
}

/* A reason buffer of whylen bytes: a prefix of the full reason `full`. */
static void
check_short_why(const uint8_t *buf, size_t len, const char *full,
    size_t whylen)
{
	unsigned char	 area[FENCE + 8 + FENCE];
	struct priv_req	 rq;
	char		*why = (char *)area + FENCE;
	size_t		 n, want;

	CHECK(whylen <= 8);
	fence(area, whylen);
	CHECK(privmsg_decode_req(buf, len, &rq, why, whylen) == -1);
	check_fence(area, whylen);
	CHECK(memchr(why, '\0', whylen) != NULL);
	n = strlen(why);
	want = strlen(full);
	if (want > whylen - 1)
		want = whylen - 1;
	CHECK(n == want && memcmp(why, full, n) == 0);
}

/* Decode len bytes of buf from an exact-sized copy; check either outcome. */
static int
decode(const uint8_t *buf, size_t len, int extra)
{
	_Alignas(struct priv_req) unsigned char
			 area[FENCE + sizeof(struct priv_req) + FENCE];
	unsigned char	 whyarea[FENCE + WHY_LEN + FENCE];
	struct priv_req	*rq = (struct priv_req *)(void *)(area + FENCE);
	char		*why = (char *)whyarea + FENCE;
	uint8_t		*p = copy(buf, len, extra);
	size_t		 n = len + (extra >= 0), whyn;
	int		 r;

	fence(area, sizeof(*rq));
	fence(whyarea, WHY_LEN);
	memset(why, WHY_FILL, WHY_LEN);
	r = privmsg_decode_req(p, n, rq, why, WHY_LEN);
	check_fence(area, sizeof(*rq));
	check_fence(whyarea, WHY_LEN);
	CHECK(r == 0 || r == -1);
	if (r == 0)
		check_accepted(rq, p, n);
	else {
		CHECK(memchr(why, '\0', WHY_LEN) != NULL);
		whyn = strlen(why);
		CHECK(whyn > 0);
		CHECK(all_in(why, whyn, 0x20, 0x7e));
		check_short_why(p, n, why, 8);
		check_short_why(p, n, why, 1);
	}
	free(p);
	return r;
}

static int
check_rep(const uint8_t *buf, size_t len, int extra, enum priv_type type)
{
	struct priv_rep	 h;
	uint8_t		*p = copy(buf, len, extra);
	size_t		 n = len + (extra >= 0);
	int		 r;

	r = privmsg_check_rep(p, n, type);
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		CHECK(n >= sizeof(h) && n <= PRIV_REP_MAX);
		memcpy(&h, p, sizeof(h));
		CHECK(h.p_magic == PRIV_MAGIC);
		CHECK(h.p_type == (uint32_t)type);
		CHECK(h.p_status >= PRIV_OK && h.p_status < PRIV_STATUS_MAX);
		CHECK(h.p_outlen <= PRIV_OUT_MAX);
		CHECK((size_t)h.p_outlen == n - sizeof(h));
		(void)check_field(h.p_summary, sizeof(h.p_summary));
	}
	free(p);
	return r;
}

static int
check_ctl(const uint8_t *buf, size_t len, int extra)
{
	_Alignas(struct priv_ctl) unsigned char
			 area[FENCE + sizeof(struct priv_ctl) + FENCE];
	struct priv_ctl	*c = (struct priv_ctl *)(void *)(area + FENCE);
	uint8_t		*p = copy(buf, len, extra);
	size_t		 n = len + (extra >= 0);
	int		 r;

	fence(area, sizeof(*c));
	r = privmsg_check_ctl(p, n, c);
	check_fence(area, sizeof(*c));
	CHECK(r == 0 || r == -1);
	if (r == 0) {
		CHECK(n == sizeof(*c));
		CHECK(memcmp(c, p, sizeof(*c)) == 0);
		CHECK(c->c_magic == PRIV_MAGIC);
		CHECK(c->c_type >= CTL_WORKER && c->c_type < CTL_TYPE_MAX);
		/* Both ends index slots and signal pids with these. */
		CHECK(c->c_slot >= 0);
		CHECK(c->c_pid > 0);
	}
	free(p);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	r, shorter, longer, t, accepted = 0;

	/* The request, one byte shorter, one byte longer. */
	r = decode(data, size, -1);
	shorter = size > 0 ? decode(data, size - 1, -1) : -1;
	longer = decode(data, size, 0);
	if (r == 0)
		CHECK(shorter == -1 && longer == -1);
	if (size > sizeof(struct priv_req))
		(void)decode(data, sizeof(struct priv_req), -1);

	/* A reply: to one request type at most, and of this length only. */
	for (t = PRIV_AUTH; t < PRIV_TYPE_MAX; t++) {
		if (check_rep(data, size, -1, (enum priv_type)t) != 0)
			continue;
		accepted++;
		CHECK(size > 0);
		CHECK(check_rep(data, size - 1, -1, (enum priv_type)t) == -1);
		CHECK(check_rep(data, size, 0, (enum priv_type)t) == -1);
	}
	CHECK(accepted <= 1);

	/* A control message, whole and by its first bytes. */
	if (check_ctl(data, size, -1) == 0) {
		CHECK(check_ctl(data, size - 1, -1) == -1);
		CHECK(check_ctl(data, size, 0) == -1);
	}
	if (size > sizeof(struct priv_ctl))
		(void)check_ctl(data, sizeof(struct priv_ctl), -1);
	return 0;
}
