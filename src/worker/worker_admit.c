/*
 * worker_admit.c: a worker's admission of the client it accepted, before
 * a single byte is read: the allow-list on the numeric peer address
 * (TCP), then max_clients and max_per_host, counted on the scoreboard.  A
 * client of the local socket skips the allow-list (the file's mode and
 * group were its) and counts per uid.  A refusal is one line written
 * without blocking, then close.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "log.h"
#include "session.h"
#include "util.h"
#include "worker.h"

/* Slots above it were never used: a scan stops there (it is written by
 * workers too, so it is bounded here). */
int
worker_hiwater(const struct board *b)
{
	int	n = __atomic_load_n(&b->b_hiwater, __ATOMIC_ACQUIRE);

	return (n < 0 || n > ARGO_HARD_MAX_CLIENTS + 1 ?
	    ARGO_HARD_MAX_CLIENTS + 1 : n);
}

/*
 * Publish our peer, then count: two workers admitting at once both see
 * each other, so the limits are never exceeded (at worst both refuse).
 * A slot holds the whole address; each admitting worker applies its own
 * generation's per_host_prefix6, so a reload that changes it counts the
 * sessions of the old generation the new way at once.
 */
static const char *
admit(struct board *b, int slot, const struct config *c, int fam,
    const unsigned char *addr)
{
	struct slot	*me = &b->b_slots[slot];
	unsigned char	 mine[16], other[16];
	unsigned int	 p6 = (unsigned int)c->c_per_host_prefix6;
	int		 i, all = 0, host = 0, f;

	memcpy(me->s_addr, addr, 16);
	__atomic_store_n(&me->s_family, fam, __ATOMIC_SEQ_CST);
	acl_host_mask(fam, addr, p6, mine);
	for (i = 0; i < worker_hiwater(b); i++) {
		struct slot *s = &b->b_slots[i];

		f = __atomic_load_n(&s->s_family, __ATOMIC_SEQ_CST);
		if (f == 0)
			continue;
		all++;
		if (f != fam)
			continue;
		acl_host_mask(f, s->s_addr, p6, other);
		if (memcmp(other, mine, 16) == 0)
			host++;
	}
	if (all > c->c_max_clients)
		return ("max_clients");
	if (host > c->c_max_per_host)
		return ("max_per_host");
	return (NULL);
}

static void
unadmit(struct board *b, int slot)
{
	__atomic_store_n(&b->b_slots[slot].s_family, 0, __ATOMIC_SEQ_CST);
}

/* One line per second at most for refusals, with the count it hid. */
static int
ratelimit(long long *last, int *quiet)
{
	long long	now = util_now_ms(), prev;

	prev = __atomic_load_n(last, __ATOMIC_ACQUIRE);
	if (now - prev < 1000 || !__atomic_compare_exchange_n(last, &prev,
	    now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		__atomic_add_fetch(quiet, 1, __ATOMIC_ACQ_REL);
		return (-1);
	}
	return (__atomic_exchange_n(quiet, 0, __ATOMIC_ACQ_REL));
}

static void
refuse(int fd, const char *line)
{
	/* Best effort: the socket is non-blocking and we close right away. */
	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* A UNIX peer's uid, from the kernel: "unix:UID" and its board key. */
static int
unix_key(int fd, char *peer, size_t peerlen, unsigned char addr[16])
{
	struct ucred	cr;
	socklen_t	len = sizeof(cr);
	uint32_t	uid;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return (-1);
	uid = (uint32_t)cr.uid;
	memset(addr, 0, 16);
	memcpy(addr, &uid, sizeof(uid));	/* acl_host_mask keeps 4 bytes */
	(void)snprintf(peer, peerlen, "unix:%lu", (unsigned long)cr.uid);
	return (0);
}

void
worker_serve(const struct config *c, struct board *b, int slot, int fd,
    const struct sockaddr_storage *ss, socklen_t sslen, int local)
{
	char		 peer[64];
	unsigned char	 addr[16];
	const char	*why;
	int		 fam, n;

	if (local) {
		/* The socket's file mode was its allow-list; its "host" is
		 * the uid, for counting only (the broker reads it again
		 * for the account). */
		if (unix_key(fd, peer, sizeof(peer), addr) == -1)
			return;
		fam = AF_UNIX;
		why = admit(b, slot, c, fam, addr);
		goto admitted;
	}
	util_addrstr((const struct sockaddr *)ss, sslen, peer, sizeof(peer));
	if (!acl_match(c->c_allow, c->c_nallow, (const struct sockaddr *)ss,
	    sslen)) {
		refuse(fd, "400 ACCESS DENIED\n");
		if ((n = ratelimit(&b->b_deny_logged, &b->b_deny_quiet)) >= 0)
			log_info("denied peer=%s%s", peer, n > 0 ?
			    " (and earlier ones not logged)" : "");
		return;
	}
	/* The whole address goes on the board; admit() applies the prefix. */
	if (acl_host_key((const struct sockaddr *)ss, sslen, 128, &fam,
	    addr) == -1)
		why = "max_per_host";	/* not an IP peer: cannot happen */
	else
		why = admit(b, slot, c, fam, addr);
admitted:
	if (why != NULL) {
		unadmit(b, slot);
		refuse(fd, "400 SERVER BUSY\n");
		if ((n = ratelimit(&b->b_busy_logged, &b->b_busy_quiet)) >= 0)
			log_info("busy peer=%s reason=%s%s", peer, why,
			    n > 0 ? " (and earlier ones not logged)" : "");
		return;
	}
	session_run(c, fd, peer, local);
	unadmit(b, slot);
}

