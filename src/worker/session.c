/*
 * session.c: the read-eval-reply loop of one connection: it reads the
 * requests, hands each to the command table (cmd.c), and the console or
 * the watch the command began; the replies are written by reply.c.
 *
 * Every wait is bounded:
 * login_timeout until the first complete non-blank line, then
 * idle_timeout after each one.  Trickling bytes do not extend the
 * deadline; only complete requests do, so a byte-a-minute client cannot
 * hold a worker.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "reply.h"
#include "session.h"
#include "util.h"
#include "worker_ask.h"
#include "wstop.h"

#define SESSION_STOP_MS	((ARGO_STOP_GRACE - 1) * 1000L)
#define SESSION_RBUF	(64 * 1024)	/* console mode's leftovers fit */

static uint64_t	sessions;	/* this worker's, numbered for the broker */
static unsigned char rbuf[SESSION_RBUF];

static int
is_blank(const char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return (0);
	return (1);
}

static void
handle_line(struct session *s, const char *line, size_t len)
{
	char	 copy[ARGO_MAX_LINE + 1];
	char	*argv[ARGO_MAX_WORDS + 1];
	int	 argc;

	memcpy(copy, line, len);
	copy[len] = '\0';
	argv[ARGO_MAX_WORDS] = NULL;
	argc = lb_split(copy, argv, ARGO_MAX_WORDS);
	if (argc == 0)
		return;
	s->s_requests++;
	cmd_dispatch(s, argc < 0 ? ARGO_MAX_WORDS + 1 : argc, argv);
	explicit_bzero(copy, sizeof(copy));	/* auth puts passwords here */
}

/*
 * Wait for the client until the earlier of deadline and stop_deadline:
 * 1 readable, 0 not (yet), -1 the broker is gone.  The stop signals are let
 * in only while we wait.
 */
static int
wait_input(int fd, long long now, long long deadline, long long stop_deadline)
{
	struct pollfd	pfd[2];
	struct timespec	ts;
	sigset_t	waitmask;
	long long	until = deadline;

	if (stop_deadline != 0 && stop_deadline < until)
		until = stop_deadline;
	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = ask_fd();
	pfd[1].events = 0;		/* a hang-up is all it can say */
	ts.tv_sec = (until - now) / 1000;
	ts.tv_nsec = ((until - now) % 1000) * 1000000;
	sigemptyset(&waitmask);
	if (ppoll(pfd, 2, &ts, &waitmask) <= 0)
		return (0);
	if (pfd[1].revents != 0)
		return (-1);
	return (pfd[0].revents != 0);
}

/*
 * A socket session's account, as the broker has it from the client's uid
 * (DESIGN.md 8): asked before the first byte is read, so that whoami and
 * the worker's own checks agree with the broker's from the start: sets
 * s_user (NULL: anonymous), or closes s when the broker did not answer.
 */
static void
whoami(struct session *s)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	char			 name[ARGO_MAX_NAME + 1];

	privmsg_req_init(&rq, PRIV_WHOAMI);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK ||
	    rep->p_outlen > ARGO_MAX_NAME) {
		/* Nothing can be done for this client. */
		s->s_close = 1;
		s->s_reason = "error";
		return;
	}
	memcpy(name, ask_payload(rep), rep->p_outlen);
	name[rep->p_outlen] = '\0';
	s->s_user = rep->p_outlen > 0 ? config_user(s->s_conf, name) : NULL;
}

void
session_run(const struct config *c, int fd, const char *peer, int local)
{
	struct session	 s;
	struct linebuf	*lb;
	long long	 deadline, stop_deadline = 0, now;
	ssize_t		 n;
	size_t		 off, used, linelen, rbuf_used = 0;
	int		 fresh = 1, ready;
	const char	*line;

	memset(&s, 0, sizeof(s));
	/* The broker forgets the last session's account at our next one. */
	ask_session(++sessions, fd);
	s.s_fd = fd;
	s.s_conf = c;
	s.s_console = -1;
	s.s_pending = rbuf;
	s.s_pendcap = sizeof(rbuf);
	util_strlcpy(s.s_peer, peer, sizeof(s.s_peer));
	lb = util_xmalloc(sizeof(*lb));
	lb_init(lb);
	if (local)
		whoami(&s);
	log_info("session start peer=%s%s%s", s.s_peer, local ? " user=" : "",
	    !local ? "" : s.s_user != NULL ? s.s_user->u_name : "-");

	deadline = util_now_ms() + (long long)c->c_login_timeout * 1000;
	while (!s.s_close) {
		now = util_now_ms();
		if (worker_stop && stop_deadline == 0)
			stop_deadline = now + SESSION_STOP_MS;
		if (stop_deadline != 0 && now >= stop_deadline) {
			s.s_reason = "shutdown";
			break;
		}
		if (now >= deadline) {
			session_error(&s, "TIMEOUT");
			s.s_reason = "timeout";
			break;
		}
		/*
		 * Just accepted, the request is usually there already: read
		 * first, wait only if it is not.
		 */
		if (!fresh && (ready = wait_input(fd, now, deadline,
		    stop_deadline)) != 1) {
			if (ready == -1) {
				/* Without a broker the daemon is stopping. */
				worker_stop = 1;
				s.s_reason = "shutdown";
				break;
			}
			continue;
		}
		fresh = 0;
		n = recv(fd, rbuf, sizeof(rbuf), 0);
		if (n > 0 && (size_t)n > rbuf_used)
			rbuf_used = (size_t)n;
		if (n == 0) {
			s.s_reason = "eof";
			break;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			s.s_reason = errno == ECONNRESET ? "eof" : "error";
			break;
		}
		for (off = 0; off < (size_t)n && !s.s_close; off += used) {
			switch (lb_feed(lb, rbuf + off, (size_t)n - off, &used,
			    &line, &linelen)) {
			case LB_NEED_MORE:
				break;
			case LB_LINE:
				if (is_blank(line, linelen))
					break;	/* blank: no reply */
				handle_line(&s, line, linelen);
				deadline = util_now_ms() +
				    (long long)c->c_idle_timeout * 1000;
				if (s.s_console == -1 && !s.s_watch)
					break;
				/* The rest of rbuf is the console's (or the
				 * watch's) first. */
				s.s_npending = (size_t)n - off - used;
				memmove(rbuf, rbuf + off + used, s.s_npending);
				if (s.s_watch)
					watch_run(&s);
				else
					console_run(&s);
				rbuf_used = sizeof(rbuf);	/* all of it, maybe */
				/* And what follows the escape, ours again. */
				n = (ssize_t)s.s_npending;
				off = used = 0;
				deadline = util_now_ms() +
				    (long long)c->c_idle_timeout * 1000;
				break;
			case LB_TOO_LONG:
				/* A request, if not a valid one: it is
				 * answered and ends the login phase. */
				s.s_requests++;
				session_error(&s, "LINE TOO LONG");
				deadline = util_now_ms() +
				    (long long)c->c_idle_timeout * 1000;
				break;
			case LB_BAD:
				s.s_requests++;
				session_error(&s, "BAD REQUEST");
				deadline = util_now_ms() +
				    (long long)c->c_idle_timeout * 1000;
				break;
			}
		}
		if (session_flush(&s) == -1)
			break;
	}
	(void)session_flush(&s);
	log_info("session end peer=%s user=%s reason=%s requests=%d",
	    s.s_peer, s.s_user ? s.s_user->u_name : "-",
	    s.s_reason ? s.s_reason : "quit", s.s_requests);
	free(s.s_out);
	explicit_bzero(lb, sizeof(*lb));	/* it held a password */
	free(lb);
	explicit_bzero(rbuf, rbuf_used);	/* it held a password */
}
