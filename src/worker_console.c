/*
 * worker_console.c: `console NAME`, in the worker.  The broker starts the
 * toolstack's console on a pseudo-terminal and hands us its master side;
 * we relay bytes both ways between it and the client until the client's
 * escape byte (0x1d, Ctrl-], as in xl console and virsh console), the
 * console's own end, idle_timeout or a stop, then tell the broker, which
 * reaps the console and logs the audit line, and finish the reply with
 * CR LF and 300 DONE, back in command mode.
 *
 * Input from the client goes through the telnet layer of command mode:
 * IAC sequences are consumed, IAC IAC is a 0xff byte, CR NUL becomes CR.
 * Output to the client is not touched: it is a terminal.  Each direction
 * has one bounded buffer, and a side is read only while the buffer it
 * fills has room: a guest printing at full speed waits for a slow client
 * (the pty fills and the console blocks) instead of making us spin or
 * grow, and a client pasting fast waits for the guest the same way.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "util.h"
#include "worker.h"
#include "worker_ask.h"

#define CON_BUF		65536
#define CON_ESCAPE	0x1d

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
	int		 r_escsent;	/* and it went to the console, alone */
	int		 r_ptyeof;	/* the console ended */
	long long	 r_in, r_out;	/* bytes to the guest, to the client */
};

static struct relay	rl;

/*
 * Client bytes p[0..n) through the telnet layer into r_topty, which has
 * room for n more.  Stops after the escape byte, which is passed on by
 * itself once the rest is written (the console tool ends on it).  Returns
 * the bytes consumed.
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
				/* Written on its own later: xenconsole
				 * takes it only as a read of one byte. */
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

/* One round of moving bytes; returns 1 when any moved. */
static int
pump(struct session *s, int pty, const struct pollfd *pfd, int *gone)
{
	unsigned char	 tmp[CON_BUF];
	ssize_t		 n;
	int		 moved = 0;

	if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
		n = recv(s->s_fd, tmp, CON_BUF - rl.r_toptylen, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			*gone = 1;
		else if (n > 0) {
			size_t used = filter(tmp, (size_t)n);

			/* After the escape: command mode's, kept for it. */
			if (used < (size_t)n)
				unread(s, tmp + used, (size_t)n - used);
			moved = 1;
		}
	}
	if ((pfd[0].revents & POLLOUT) && rl.r_toclilen > 0) {
		n = send(s->s_fd, rl.r_tocli, rl.r_toclilen, MSG_NOSIGNAL);
		if (n > 0) {
			shift(rl.r_tocli, &rl.r_toclilen, (size_t)n);
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			*gone = 1;
	}
	if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
		n = read(pty, rl.r_tocli + rl.r_toclilen,
		    CON_BUF - rl.r_toclilen);
		if (n > 0) {
			rl.r_toclilen += (size_t)n;
			rl.r_out += n;
			moved = 1;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			rl.r_ptyeof = 1;	/* EIO: the console closed */
	}
	if ((pfd[1].revents & POLLOUT) && rl.r_toptylen > 0) {
		n = write(pty, rl.r_topty, rl.r_toptylen);
		if (n > 0) {
			shift(rl.r_topty, &rl.r_toptylen, (size_t)n);
			rl.r_in += n;
			moved = 1;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR)
			rl.r_ptyeof = 1;
	}
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
	int		 gone = 0;

	sigemptyset(&waitmask);
	deadline = util_now_ms() + (long long)s->s_conf->c_idle_timeout * 1000;
	for (;;) {
		if (rl.r_escaped && rl.r_toptylen == 0 && !rl.r_escsent &&
		    !rl.r_ptyeof) {
			unsigned char esc = CON_ESCAPE;

			/* Best effort: if it cannot go, the broker stops it. */
			rl.r_escsent = 1;
			if (write(pty, &esc, 1) == 1)
				rl.r_in++;
		}
		if (rl.r_escaped && rl.r_toptylen == 0 && rl.r_toclilen == 0)
			return ("detach");
		if (rl.r_ptyeof && rl.r_toclilen == 0)
			return ("ended");
		if (gone)
			return ("eof");
		if (worker_stop)
			return ("shutdown");
		if ((now = util_now_ms()) >= deadline)
			return ("timeout");
		pfd[0].fd = s->s_fd;
		pfd[0].events = (short)((!rl.r_escaped &&
		    rl.r_toptylen < CON_BUF ? POLLIN : 0) |
		    (rl.r_toclilen > 0 ? POLLOUT : 0));
		pfd[1].fd = rl.r_ptyeof ? -1 : pty;
		pfd[1].events = (short)((!rl.r_escaped &&
		    rl.r_toclilen < CON_BUF ? POLLIN : 0) |
		    (rl.r_toptylen > 0 ? POLLOUT : 0));
		ts.tv_sec = (deadline - now) / 1000;
		ts.tv_nsec = ((deadline - now) % 1000) * 1000000;
		if (ppoll(pfd, 2, &ts, &waitmask) <= 0)
			continue;
		/* idle_timeout is silence in both directions. */
		if (pump(s, pty, pfd, &gone))
			deadline = util_now_ms() +
			    (long long)s->s_conf->c_idle_timeout * 1000;
	}
}

void
console_run(struct session *s)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	const char		*why;
	int			 pty = s->s_console;
	size_t			 used;

	s->s_console = -1;
	memset(&rl, 0, sizeof(rl));
	if (session_flush(s) == -1) {
		close(pty);
		return;
	}
	/* What the client sent after the request line is the console's. */
	used = filter(s->s_pending, s->s_npending);
	shift(s->s_pending, &s->s_npending, used);
	why = relay(s, pty);

	privmsg_req_init(&rq, PRIV_CONSOLE_END);
	rq.r_number = rl.r_in;
	rq.r_number2 = rl.r_out;
	rep = ask(&rq, NULL);
	close(pty);
	if (strcmp(why, "eof") == 0) {
		s->s_close = 1;
		s->s_reason = "eof";
		return;
	}
	session_raw(s, "\r\n300 DONE\n", 11);
	if (rep == NULL || strcmp(why, "shutdown") == 0) {
		s->s_close = 1;
		s->s_reason = "shutdown";
	} else if (strcmp(why, "timeout") == 0) {
		session_error(s, "TIMEOUT");
		s->s_close = 1;
		s->s_reason = "timeout";
	}
}

void
cmd_console(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	int			 fd = -1;

	(void)c;
	(void)argv;
	privmsg_req_init(&rq, PRIV_CONSOLE);
	memcpy(rq.r_name, inst->i_name, sizeof(rq.r_name));
	if ((rep = ask(&rq, &fd)) == NULL || rep->p_status != PRIV_OK ||
	    fd == -1) {
		if (fd != -1)
			close(fd);
		ask_fail_reply(s, rep != NULL && rep->p_status == PRIV_OK ?
		    NULL : rep);
		return;
	}
	session_ok(s);
	s->s_console = fd;	/* the session loop hands over to console_run */
}
