/*
 * log_relay.c: the log lines of workers, carried to the master.
 *
 * A chrooted, filtered worker cannot keep a syslog connection: glibc's
 * syslog() reconnects with socket() and connect() when syslogd restarts,
 * and the filter kills on both.  And in the foreground its stderr may be
 * the journal's stream of the whole service.  So a worker sends each line
 * as one datagram ("<pri>message") to the master, and its stdin, stdout
 * and stderr are that socket too (a sanitizer's report takes the same way).
 *
 * The master treats what arrives as a worker's word, which a compromised
 * worker chooses freely:
 * - the sender is the pid the kernel attaches (SO_PASSCRED), never a
 *   claim, and every line goes out as "argo-worker[PID]: ...", a name no
 *   line of the master's or the broker's ("argo-server[PID]: ...") has;
 * - the priority is at most LOG_ERR (emergencies are broadcast to every
 *   terminal by many syslog setups); notice counts as info, debug is
 *   dropped unless the daemon runs with -d;
 * - a datagram is split into lines at LF or CR, each sanitised like bytes
 *   from the network and cut at RELAY_LINE, at most RELAY_SPLIT a datagram;
 * - a worker gets RELAY_RATE lines a second (RELAY_BURST at once, far above
 *   what its sessions log); what is over is dropped and counted, in one
 *   warning of the master's a second.
 * Senders block while the master's queue is full: a line is delayed, never
 * lost, unless its worker floods.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "log_relay.h"
#include "util.h"

#define RELAY_DGRAM	(64 * 1024)	/* what the master reads at once */
#define RELAY_LINE	1000		/* longest line relayed */
#define RELAY_SPLIT	64		/* lines a datagram may hold */
#define RELAY_RATE	2000		/* lines a second, per worker */
#define RELAY_BURST	20000
#define RELAY_BUCKETS	64		/* by pid; a collision only shares */
#define RELAY_ROUND	256		/* datagrams per wake-up */

struct bucket {
	long		 b_pid;
	long long	 b_tokens;
	long long	 b_last;	/* ms of the last refill */
	unsigned long	 b_dropped;	/* since the last warning */
	long long	 b_said;	/* ms of the last warning */
};

static struct bucket	buckets[RELAY_BUCKETS];
static unsigned char	dgram[RELAY_DGRAM + 1];

int
log_relay_open(int sv[2])
{
	int	on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) ==
	    -1 || fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	/* Workers only send. */
	(void)shutdown(sv[1], SHUT_RD);
	return (0);
}

/* The priority a worker may have: err, warning or info; -1: not logged. */
static int
relay_pri(int claimed)
{
	if (claimed <= LOG_ERR)
		return (LOG_ERR);
	if (claimed == LOG_WARNING)
		return (LOG_WARNING);
	if (claimed == LOG_DEBUG)
		return (log_debugging() ? LOG_DEBUG : -1);
	return (LOG_INFO);
}

/* May pid log one more line now? */
static int
relay_allow(long pid, long long now)
{
	struct bucket	*b = &buckets[(unsigned long)pid % RELAY_BUCKETS];

	if (b->b_pid != pid) {
		/* A new worker, or another on the same bucket: a fresh one. */
		if (b->b_dropped > 0)
			log_warnx("worker %ld flooded the log: %lu lines "
			    "dropped", b->b_pid, b->b_dropped);
		memset(b, 0, sizeof(*b));
		b->b_pid = pid;
		b->b_tokens = RELAY_BURST;
		b->b_last = now;
	}
	if (now > b->b_last) {
		b->b_tokens += (now - b->b_last) * RELAY_RATE / 1000;
		if (b->b_tokens > RELAY_BURST)
			b->b_tokens = RELAY_BURST;
		b->b_last = now;
	}
	if (b->b_tokens > 0) {
		b->b_tokens--;
		return (1);
	}
	b->b_dropped++;
	if (now - b->b_said >= 1000) {
		log_warnx("worker %ld floods the log: %lu lines dropped "
		    "(over %d a second)", pid, b->b_dropped, RELAY_RATE);
		b->b_dropped = 0;
		b->b_said = now;
	}
	return (0);
}

/* One datagram of pid's: its lines, filtered. */
static void
relay_one(long pid, const unsigned char *p, size_t len, long long now)
{
	char	 safe[RELAY_LINE + 1];
	size_t	 i, start, lines = 0;
	int	 pri = LOG_ERR;		/* a bare write: stderr's */

	if (len > 0 && p[0] >= '0' && p[0] <= '7') {
		pri = p[0] - '0';
		p++;
		len--;
	}
	if ((pri = relay_pri(pri)) == -1)
		return;
	for (start = 0, i = 0; i <= len && lines < RELAY_SPLIT; i++) {
		if (i < len && p[i] != '\n' && p[i] != '\r')
			continue;
		if (i > start) {
			lines++;
			if (!relay_allow(pid, now))
				return;
			log_sanitize_text(safe, sizeof(safe),
			    (const char *)p + start, i - start);
			log_as("argo-worker", pid, pri, safe);
		}
		start = i + 1;
	}
}

int
log_relay_drain(int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	struct ucred	 cred;
	ssize_t		 n;
	int		 got;

	/* Bounded: a flooding worker must not keep the master from its loop. */
	for (got = 0; got < RELAY_ROUND; got++) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = dgram;
		iov.iov_len = RELAY_DGRAM;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		cred.pid = 0;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(cred)))
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		relay_one((long)cred.pid, dgram, (size_t)n, util_now_ms());
	}
	return (got);
}
