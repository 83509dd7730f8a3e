/*
 * cmd_watch.c: `watch`, in the worker.  The broker polls the toolstack
 * for every watching session at once and keeps each session's lines
 * (broker_watch.c); the worker keeps one question for them asked
 * (PRIV_WATCH_NEXT) and otherwise waits on its client, so it does two
 * things at once without blocking on either:
 *
 *	the broker's lines go to the client as body lines, through a buffer
 *	of its own, written without blocking;
 *	any line from the client ends the watch (300 DONE), back in command
 *	mode with what the client sent after it.
 *
 * The worker asks for more as soon as lines come, whatever the client
 * does, so the broker never holds much for us.  A client that stops
 * reading is dropped once WATCH_OUT_MAX bytes wait for it (logged): the
 * worker's memory is that buffer.  A watch is not idle: idle_timeout does
 * not end it.  A client that vanished does: TCP keepalive probes a quiet
 * connection after KEEP_IDLE seconds, and KEEP_USER_MS bounds how long
 * anything sent (probe or line) may go unacknowledged, so its host is
 * given up within a minute.  A stop of the daemon ends the watch (300
 * DONE, close).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "linebuf.h"
#include "log.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"
#include "wstop.h"

#define WATCH_OUT_MAX	(256 * 1024)	/* bytes the client has not taken */
/* A reply's lines, each perhaps one byte longer (a leading blank). */
#define WATCH_OUT_CAP	(WATCH_OUT_MAX + 2 * PRIV_OUT_MAX)
#define KEEP_IDLE	20		/* seconds */
#define KEEP_INTVL	10
#define KEEP_CNT	3
#define KEEP_USER_MS	50000

struct watch {
	char		*w_out;		/* lines for the client */
	size_t		 w_len;
	struct linebuf	 w_lb;		/* the client's line that ends it */
	int		 w_asked;	/* a NEXT is with the broker */
	int		 w_gone;	/* the client is gone or dropped */
	int		 w_ended;	/* the client sent its line */
	int		 w_long;	/* ...too long: ends at its LF */
	int		 w_broken;	/* the broker is gone */
	const char	*w_why;		/* when gone: the session's reason */
};

void
cmd_watch(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;

	(void)c;
	(void)argv;
	(void)inst;
	privmsg_req_init(&rq, PRIV_WATCH);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return;
	}
	session_ok(s);
	s->s_watch = 1;		/* the session loop hands over to watch_run */
}

/* Best effort: without it, a failed write still ends the watch. */
static void
keepalive(int fd)
{
	int	on = 1, idle = KEEP_IDLE, intvl = KEEP_INTVL, cnt = KEEP_CNT;
	int	user = KEEP_USER_MS;

	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == 0) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle,
		    sizeof(idle));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl,
		    sizeof(intvl));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt,
		    sizeof(cnt));
		(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user,
		    sizeof(user));
	}
}

/* The broker's lines as body lines: no reply code, no control byte. */
static void
take(struct watch *w, const char *p, size_t n)
{
	size_t	i, start;

	for (start = 0; start < n; start = i + 1) {
		for (i = start; i < n && p[i] != '\n'; i++)
			;
		if (i - start >= 3 && (p[start] == '2' || p[start] == '3' ||
		    p[start] == '4') && p[start + 1] == '0' &&
		    p[start + 2] == '0')
			w->w_out[w->w_len++] = ' ';
		for (; start < i; start++) {
			unsigned char c = (unsigned char)p[start];

			if ((c < 0x20 && c != '\t') || c == 0x7f)
				w->w_out[w->w_len++] = '?';
			else
				w->w_out[w->w_len++] = p[start];
		}
		w->w_out[w->w_len++] = '\n';
	}
}

/*
 * Client bytes s_pending[0..n): look for the line that ends the watch;
 * what follows it stays in s_pending for command mode.
 */
static void
scan(struct session *s, struct watch *w, size_t n)
{
	const char	*line;
	size_t		 off, used, len;
	enum lb_result	 r;

	for (off = 0; off < n && !w->w_ended; off += used) {
		if (w->w_long) {
			/*
			 * The reader drops a long line up to its end without
			 * a word, and reads on: one byte at a time, we see
			 * where the drop (its private flag) ends.
			 */
			(void)lb_feed(&w->w_lb, s->s_pending + off, 1, &used,
			    &line, &len);
			w->w_ended = !w->w_lb.lb_discard;
			continue;
		}
		r = lb_feed(&w->w_lb, s->s_pending + off, n - off, &used,
		    &line, &len);
		if (r == LB_TOO_LONG)
			w->w_long = 1;
		else if (r != LB_NEED_MORE)
			w->w_ended = 1;		/* any line, blank too */
	}
	memmove(s->s_pending, s->s_pending + off, n - off);
	s->s_npending = n - off;
}

static void
from_client(struct session *s, struct watch *w)
{
	ssize_t	n;

	n = recv(s->s_fd, s->s_pending, s->s_pendcap, 0);
	if (n > 0) {
		scan(s, w, (size_t)n);
		return;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		w->w_gone = 1;
		w->w_why = n == 0 || errno == ECONNRESET ? "eof" :
		    errno == ETIMEDOUT ? "keepalive" : "error";
	}
}

static void
to_client(struct session *s, struct watch *w)
{
	ssize_t	n;

	n = send(s->s_fd, w->w_out, w->w_len, MSG_NOSIGNAL);
	if (n > 0) {
		memmove(w->w_out, w->w_out + n, w->w_len - (size_t)n);
		w->w_len -= (size_t)n;
	} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
		w->w_gone = 1;
		w->w_why = errno == ETIMEDOUT ? "keepalive" : "eof";
	}
}

/* The broker's answer to our NEXT; 0, or -1 when the watch must end. */
static int
from_broker(struct session *s, struct watch *w)
{
	const struct priv_rep	*rep;
	struct priv_req		 rq;

	w->w_asked = 0;
	if ((rep = ask_take(PRIV_WATCH_NEXT)) == NULL) {
		w->w_broken = 1;
		return (-1);
	}
	if (rep->p_status == PRIV_OVERRUN) {
		log_info("watch peer=%s: the broker dropped its lines; "
		    "ending it", s->s_peer);
		w->w_gone = 1;
		w->w_why = "overrun";
		return (-1);
	}
	if (!w->w_gone)
		take(w, ask_payload(rep), rep->p_outlen);
	if (w->w_len > WATCH_OUT_MAX) {
		log_info("watch peer=%s: the client takes no lines (%zu "
		    "bytes waiting); dropping it", s->s_peer, w->w_len);
		w->w_gone = 1;
		w->w_why = "stalled";
		return (-1);
	}
	privmsg_req_init(&rq, PRIV_WATCH_NEXT);
	if (ask_post(&rq) == -1) {
		w->w_broken = 1;
		return (-1);
	}
	w->w_asked = 1;
	return (0);
}

static void
stream(struct session *s, struct watch *w)
{
	struct pollfd	pfd[2];
	sigset_t	waitmask;
	int		cre;

	sigemptyset(&waitmask);
	while (!w->w_gone && !w->w_ended && !worker_stop) {
		pfd[0].fd = s->s_fd;
		pfd[0].events = POLLIN | (w->w_len > 0 ? POLLOUT : 0);
		pfd[1].fd = ask_fd();
		pfd[1].events = POLLIN;
		if (ppoll(pfd, 2, NULL, &waitmask) <= 0)
			continue;		/* a signal: look at the stop */
		cre = pfd[0].revents;
		if ((cre & (POLLOUT | POLLERR | POLLHUP)) && w->w_len > 0)
			to_client(s, w);
		if (!w->w_gone && (cre & (POLLIN | POLLERR | POLLHUP)))
			from_client(s, w);
		if (pfd[1].revents != 0 && from_broker(s, w) == -1)
			break;
	}
}

void
watch_run(struct session *s)
{
	struct watch		 w;
	struct priv_req		 rq;
	const struct priv_rep	*rep = NULL;

	s->s_watch = 0;
	memset(&w, 0, sizeof(w));
	lb_init(&w.w_lb);
	w.w_out = util_xmalloc(WATCH_OUT_CAP);
	keepalive(s->s_fd);
	/* What came after `watch` may end it already. */
	scan(s, &w, s->s_npending);
	if (session_flush(s) == -1) {
		w.w_gone = 1;		/* the 200 line did not go */
		w.w_why = s->s_reason;
	}
	privmsg_req_init(&rq, PRIV_WATCH_NEXT);
	if (!w.w_ended && !w.w_gone) {
		if (ask_post(&rq) == 0) {
			w.w_asked = 1;
			stream(s, &w);
		} else
			w.w_broken = 1;
	}

	/* Leave the broker's watchers; a NEXT held is answered first. */
	privmsg_req_init(&rq, PRIV_WATCH_END);
	if (!w.w_broken && ask_post(&rq) == -1)
		w.w_broken = 1;
	if (!w.w_broken && w.w_asked) {
		if ((rep = ask_take(PRIV_WATCH_NEXT)) == NULL)
			w.w_broken = 1;
		else if (rep->p_status == PRIV_OK && !w.w_gone &&
		    w.w_len + 2 * (size_t)rep->p_outlen <= WATCH_OUT_CAP)
			take(&w, ask_payload(rep), rep->p_outlen);
	}
	if (!w.w_broken && ask_take(PRIV_WATCH_END) == NULL)
		w.w_broken = 1;
	if (w.w_gone) {
		s->s_close = 1;
		s->s_reason = w.w_why;
	} else {
		session_raw(s, w.w_out, w.w_len);
		session_done(s);
		if (!w.w_ended) {
			/* A stop, or no broker: the daemon is going. */
			s->s_close = 1;
			s->s_reason = "shutdown";
		}
	}
	free(w.w_out);
}
