/*
 * worker_relay.c: a console's bytes, both ways, in the worker
 * (worker_relay.h).
 *
 * Nothing here may block, or a paste through an echoing guest deadlocks
 * (we write to the guest while the tool writes its echo to us).  Both
 * descriptors are non-blocking, each direction has one bounded buffer,
 * and a side is read only while the buffer it fills has room.  The pty is
 * read whenever the buffer toward the client has room, whatever the state
 * of the one toward the guest: a paste waits for the guest (we stop
 * reading the client), the guest waits only for a slow client.  So the
 * escape byte, idle_timeout and a client's reset are seen at every
 * moment of a paste, and the worker's memory is two buffers.
 *
 * Input from the client goes through the telnet layer of command mode:
 * IAC sequences are consumed, IAC IAC is a 0xff byte, CR NUL becomes CR.
 * Output to the client is not touched: it is a terminal.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "reply.h"
#include "util.h"
#include "worker_relay.h"
#include "wstop.h"

#define CON_BUF		65536
#define CON_ESCAPE	0x1d
/* For the stopped tool to close the pty: SIGKILL comes after the grace. */
#define CON_EXIT_MS	(ARGO_KILL_GRACE_MS + 1000)

/* Telnet (RFC 854), as in linebuf.c. */
#define TN_SE		240
#define TN_SB		250
#define TN_WILL		251
#define TN_DONT		254
#define TN_IAC		255

enum tstate { T_DATA, T_CR, T_IAC, T_OPT, T_SB, T_SB_IAC };

struct relay {
	unsigned char	 r_topty[CON_BUF];
	size_t		 r_toptylen;
	unsigned char	 r_tocli[CON_BUF];
	size_t		 r_toclilen;
	enum tstate	 r_ts;
	int		 r_escaped;	/* the client sent the escape byte */
	int		 r_ptyeof;	/* the tool closed the pty (it ended) */
	int		 r_ptydead;	/* writes to the pty fail */
	int		 r_gone;	/* the client vanished */
	long long	 r_in, r_out;	/* bytes to the guest, to the client */
};

static struct relay	rl;

/*
 * Client bytes p[0..n) through the telnet layer into r_topty, which has
 * room for n more.  Stops after the escape byte, which is ours, not the
 * guest's: it ends the console.  Returns the bytes consumed.
 */
static size_t
filter(const unsigned char *p, size_t n)
{
	size_t		i;
	unsigned char	c;

	for (i = 0; i < n && !rl.r_escaped; i++) {
		c = p[i];
		switch (rl.r_ts) {
		case T_CR:
			rl.r_ts = T_DATA;
			if (c == '\0')
				continue;	/* CR NUL is CR */
			/* FALLTHROUGH */
		case T_DATA:
			if (c == TN_IAC) {
				rl.r_ts = T_IAC;
				continue;
			}
			if (c == CON_ESCAPE) {
				rl.r_escaped = 1;
				break;
			}
			if (c == '\r')
				rl.r_ts = T_CR;
			rl.r_topty[rl.r_toptylen++] = c;
			break;
		case T_IAC:
			if (c == TN_IAC) {
				rl.r_topty[rl.r_toptylen++] = c;
				rl.r_ts = T_DATA;
			} else if (c >= TN_WILL && c <= TN_DONT)
				rl.r_ts = T_OPT;
			else
				rl.r_ts = c == TN_SB ? T_SB : T_DATA;
			break;
		case T_OPT:
			rl.r_ts = T_DATA;
			break;
		case T_SB:
			if (c == TN_IAC)
				rl.r_ts = T_SB_IAC;
			break;
		case T_SB_IAC:
			rl.r_ts = c == TN_SE ? T_DATA : T_SB;
			break;
		}
	}
	return (i);
}

/* Client bytes after the escape: command mode reads them next. */
static void
unread(struct session *s, const unsigned char *p, size_t n)
{
	if (n > s->s_pendcap - s->s_npending)
		n = s->s_pendcap - s->s_npending;	/* cannot happen */
	memcpy(s->s_pending + s->s_npending, p, n);
	s->s_npending += n;
}

static void
shift(unsigned char *buf, size_t *len, size_t n)
{
	memmove(buf, buf + n, *len - n);
	*len -= n;
}

static int
from_client(struct session *s)
{
	unsigned char	tmp[CON_BUF];
	ssize_t		n;
	size_t		used;

	n = recv(s->s_fd, tmp, CON_BUF - rl.r_toptylen, 0);
	if (n > 0) {
		used = filter(tmp, (size_t)n);
		/* After the escape: command mode's, kept for it. */
		if (used < (size_t)n)
			unread(s, tmp + used, (size_t)n - used);
		return (1);
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		rl.r_gone = 1;
	return (0);
}

static int
to_client(struct session *s)
{
	ssize_t	n;

	n = send(s->s_fd, rl.r_tocli, rl.r_toclilen, MSG_NOSIGNAL);
	if (n > 0) {
		shift(rl.r_tocli, &rl.r_toclilen, (size_t)n);
		return (1);
	}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		rl.r_gone = 1;
	return (0);
}

static int
from_pty(int pty)
{
	ssize_t	n;

	n = read(pty, rl.r_tocli + rl.r_toclilen, CON_BUF - rl.r_toclilen);
	if (n > 0) {
		rl.r_toclilen += (size_t)n;
		rl.r_out += n;
		return (1);
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		rl.r_ptyeof = 1;	/* EIO: the console closed */
	return (0);
}

static int
to_pty(int pty)
{
	ssize_t	n;

	n = write(pty, rl.r_topty, rl.r_toptylen);
	if (n > 0) {
		shift(rl.r_topty, &rl.r_toptylen, (size_t)n);
		rl.r_in += n;
		return (1);
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		rl.r_ptydead = 1;	/* the tool is going: drop the rest */
		rl.r_toptylen = 0;
	}
	return (0);
}

/* What to poll for; a side with nothing to do is left out (its POLLHUP
 * would wake us for nothing). */
static void
events(struct pollfd *pfd, struct session *s, int pty)
{
	short	ev;

	ev = 0;
	if (!rl.r_escaped && rl.r_toptylen < CON_BUF)
		ev |= POLLIN;
	if (rl.r_toclilen > 0)
		ev |= POLLOUT;
	/*
	 * Not reading the client, its reset (POLLHUP, POLLERR) is still
	 * news; its FIN is not yet: the bytes queued before it are a paste
	 * to finish.  After the escape, the socket is command mode's.
	 */
	pfd[0].fd = ev != 0 || !rl.r_escaped ? s->s_fd : -1;
	pfd[0].events = ev;
	ev = 0;
	if (!rl.r_ptyeof && rl.r_toclilen < CON_BUF)
		ev |= POLLIN;
	if (rl.r_toptylen > 0 && !rl.r_ptydead)
		ev |= POLLOUT;
	pfd[1].fd = ev != 0 ? pty : -1;
	pfd[1].events = ev;
}

/* One round of moving bytes; returns 1 when any moved. */
static int
pump(struct session *s, int pty, const struct pollfd *pfd)
{
	int	cre = pfd[0].fd == -1 ? 0 : pfd[0].revents;
	int	pre = pfd[1].fd == -1 ? 0 : pfd[1].revents;
	int	moved = 0;

	if ((cre & (POLLOUT | POLLHUP | POLLERR)) && rl.r_toclilen > 0)
		moved |= to_client(s);
	if (!rl.r_escaped && (cre & (POLLIN | POLLHUP | POLLERR))) {
		if (rl.r_toptylen < CON_BUF)
			moved |= from_client(s);
		else
			rl.r_gone = 1;	/* reset: nobody reads the echo */
	}
	if ((pre & (POLLIN | POLLHUP | POLLERR)) && !rl.r_ptyeof &&
	    rl.r_toclilen < CON_BUF)
		moved |= from_pty(pty);
	if ((pre & (POLLOUT | POLLHUP | POLLERR)) && rl.r_toptylen > 0 &&
	    !rl.r_ptydead)
		moved |= to_pty(pty);
	return (moved);
}

/* Relay until an end; returns why: "detach", "ended", "timeout", ... */
static const char *
relay(struct session *s, int pty)
{
	struct pollfd	 pfd[2];
	struct timespec	 ts;
	sigset_t	 waitmask;
	long long	 deadline, now;

	sigemptyset(&waitmask);
	deadline = util_now_ms() + (long long)s->s_conf->c_idle_timeout * 1000;
	for (;;) {
		now = util_now_ms();
		if (rl.r_gone)
			return ("eof");
		if (rl.r_escaped) {
			/*
			 * The client's end: what it typed before goes to the
			 * guest as far as the pty takes it now, the rest (of
			 * a paste) is dropped, and the broker stops the tool.
			 * The escape itself never reaches the guest.
			 */
			if (rl.r_toptylen > 0 && !rl.r_ptydead)
				(void)to_pty(pty);
			rl.r_toptylen = 0;
			return ("detach");
		}
		if (rl.r_ptyeof && rl.r_toclilen == 0)
			return ("ended");
		if (worker_stop)
			return ("shutdown");
		if (now >= deadline)
			return ("timeout");
		events(pfd, s, pty);
		ts.tv_sec = (deadline - now) / 1000;
		ts.tv_nsec = ((deadline - now) % 1000) * 1000000;
		if (ppoll(pfd, 2, &ts, &waitmask) <= 0)
			continue;
		/* idle_timeout is silence in both directions. */
		if (pump(s, pty, pfd))
			deadline = util_now_ms() +
			    (long long)s->s_conf->c_idle_timeout * 1000;
	}
}

void
relay_run(struct session *s, int pty, struct relay_end *e)
{
	size_t	used;

	memset(&rl, 0, sizeof(rl));
	if (fcntl(pty, F_SETFL, O_NONBLOCK) == -1 || session_flush(s) == -1)
		e->why = "eof";
	else {
		/* What the client sent after the request line is the
		 * console's. */
		used = filter(s->s_pending, s->s_npending);
		shift(s->s_pending, &s->s_npending, used);
		e->why = relay(s, pty);
	}
	e->in = rl.r_in;
	e->out = rl.r_out;
	e->tail = rl.r_tocli;
	e->taillen = rl.r_toclilen;
}

void
relay_finish(int pty, struct relay_end *e)
{
	unsigned char	 scratch[4096];
	struct pollfd	 pfd;
	long long	 until = util_now_ms() + CON_EXIT_MS, left;
	ssize_t		 n;

	/*
	 * Until the tool has closed the pty: closing ours first would hang
	 * it up (SIGHUP) while it handles the broker's SIGTERM.  What the
	 * guest printed meanwhile is kept as far as there is room.
	 */
	while (!rl.r_ptyeof && (left = until - util_now_ms()) > 0) {
		pfd.fd = pty;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (rl.r_toclilen < CON_BUF)
			(void)from_pty(pty);
		else if ((n = read(pty, scratch, sizeof(scratch))) == 0 ||
		    (n < 0 && errno != EAGAIN && errno != EINTR))
			rl.r_ptyeof = 1;
	}
	e->tail = rl.r_tocli;
	e->taillen = rl.r_toclilen;
}
