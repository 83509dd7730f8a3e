/*
 * watch.c: `argo HOST[,HOST...] watch`: every host's state changes as
 * they come, until interrupted.
 *
 * Every host is watched at once (-j does not apply: a watch never ends by
 * itself, so a host left waiting for a place would wait for ever).  Each
 * is a small state machine: dial, with -u the `auth` line and its reply,
 * `watch` and its `200 OK`; -t bounds those, never the stream.  A body
 * line is printed as it comes, prefixed "HOST: " when there are several
 * hosts, made safe for a terminal as every reply is (out.c).  A host that
 * drops out (the connection closes, the server ends the watch, a protocol
 * error) is its error line on stderr, exit status 2 at the end; the others
 * go on.
 *
 * SIGINT and SIGTERM (read from a signalfd, so they interrupt nothing)
 * end every watch cleanly: a line ends it on the server (300 DONE), then
 * `quit`, and argo exits once every connection is closed, or -t seconds
 * after the signal; a second signal closes them at once.  Hosts that were
 * watching until then count as answered (0).
 */
#include <sys/signalfd.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "reply.h"
#include "stream.h"
#include "transport.h"
#include "watch.h"
#include "xutil.h"

enum wstate { W_DIAL, W_AUTH, W_START, W_STREAM, W_BYE, W_DONE };

struct wjob {
	const struct host	*w_host;
	enum wstate		 w_state;
	struct dial		 w_dial;
	struct stream		 w_s;
	long long		 w_deadline;	/* 0: none (streaming) */
	struct reply		 w_reply;
	int			 w_ended;	/* BYE: 300 DONE seen */
};

static const struct request	*w_rq;
static const struct opts	*w_opts;
static size_t			 w_n;
static int			 w_worst;

static void
queue(struct wjob *j, const char *s)
{
	stream_queue(&j->w_s, s, strlen(s), "", 0);
}

static void
finish(struct wjob *j, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct wjob *j, int status, const char *fmt, ...)
{
	char	msg[ARGO_CLIENT_ERR + 64];
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		msg[argo_safe_text(msg, msg, strlen(msg))] = '\0';
		(void)fflush(stdout);
		(void)fprintf(stderr, "%s: %s\n", j->w_host->h_spec, msg);
	}
	stream_close(&j->w_s);
	dial_stop(&j->w_dial);
	j->w_state = W_DONE;
	if (status > w_worst)
		w_worst = status;
}

static void
print(const struct wjob *j, char *l, size_t len)
{
	if (w_n > 1)
		(void)printf("%s: ", j->w_host->h_spec);
	(void)fwrite(l, 1, argo_safe_text(l, l, len), stdout);
	(void)fputc('\n', stdout);
}

static void
dialed(struct wjob *j)
{
	if (j->w_dial.d_state == DIAL_FAILED) {
		finish(j, ARGO_EXIT_UNREACHABLE, "%s", j->w_dial.d_err);
		return;
	}
	if (j->w_dial.d_state != DIAL_OPEN)
		return;
	stream_open(&j->w_s, dial_take(&j->w_dial));
	dial_stop(&j->w_dial);
	memset(&j->w_reply, 0, sizeof(j->w_reply));
	if (w_rq->rq_user != NULL) {
		stream_queue_auth(&j->w_s, w_rq->rq_user, w_rq->rq_pass);
		j->w_state = W_AUTH;
	} else {
		queue(j, "watch\n");
		j->w_state = W_START;
	}
}

/* One line (stream_io()): -1 when it finished the job. */
static int
line(void *arg, char *l, size_t len)
{
	struct wjob	*j = arg;
	enum reply_ev	 ev = reply_line(&j->w_reply, l, len);

	if (j->w_state == W_BYE) {
		/* Lines sent before the end are shown; the quit's are not. */
		if (ev == RP_BODY && !j->w_ended)
			print(j, l, len);
		else if (ev == RP_END)
			j->w_ended = 1;
		return (0);
	}
	if (ev == RP_BAD) {
		finish(j, ARGO_EXIT_UNREACHABLE, "protocol error: unexpected "
		    "line \"%.60s\"", l);
		return (-1);
	}
	if (ev == RP_ERROR) {
		finish(j, ARGO_EXIT_REFUSED, "%s", l);
		return (-1);
	}
	switch (j->w_state) {
	case W_AUTH:
		if (ev == RP_END) {
			queue(j, "watch\n");
			j->w_state = W_START;
		}
		break;
	case W_START:
		if (ev == RP_OK) {
			j->w_state = W_STREAM;
			j->w_deadline = 0;	/* -t bounds the start only */
		}
		break;
	default:
		if (ev == RP_BODY)
			print(j, l, len);
		else if (ev == RP_END) {
			finish(j, ARGO_EXIT_UNREACHABLE, "the server ended the "
			    "watch");
			return (-1);
		}
		break;
	}
	return (0);
}

static void
io(struct wjob *j, short revents)
{
	char		 ssh[ARGO_CLIENT_ERR];
	const char	*why;
	enum stream_ev	 ev;

	if (j->w_state == W_DIAL) {
		dial_check_connect(&j->w_dial);
		dialed(j);
		return;
	}
	ev = stream_io(&j->w_s, revents, line, j);
	if (ev == STREAM_AGAIN || ev == STREAM_STOP)
		return;
	why = stream_why(ev);
	if (ev == STREAM_LONG) {
		finish(j, ARGO_EXIT_UNREACHABLE, "%s", why);
		return;
	}
	if (j->w_state == W_BYE) {
		finish(j, ARGO_EXIT_OK, NULL);
		return;
	}
	/* An ssh that ended says why (no route, key refused, ...). */
	transport_why(j->w_s.s_fd, ssh, sizeof(ssh));
	finish(j, ARGO_EXIT_UNREACHABLE, "%s", ssh[0] != '\0' ? ssh : why);
}

/* The first signal: every watch ends cleanly, bounded by -t. */
static void
interrupt(struct wjob *jobs, long long now)
{
	size_t	i;

	for (i = 0; i < w_n; i++) {
		struct wjob *j = &jobs[i];

		if (j->w_state == W_STREAM) {
			queue(j, "\nquit\n");
			j->w_state = W_BYE;
			j->w_deadline = now + (long long)w_opts->o_timeout *
			    1000;
		} else if (j->w_state != W_DONE && j->w_state != W_BYE)
			finish(j, ARGO_EXIT_UNREACHABLE, "interrupted before "
			    "the watch began");
	}
}

int
watch_run(const struct host *hosts, size_t n, const struct request *rq,
    const struct opts *o)
{
	struct signalfd_siginfo	 si;
	struct wjob		*jobs, *j;
	struct pollfd		*pfd;
	sigset_t		 sigs;
	long long		 now, wait;
	size_t			 i, left;
	int			 sfd, signals = 0, lookups;

	w_rq = rq;
	w_opts = o;
	w_n = n;
	w_worst = ARGO_EXIT_OK;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) == -1 ||
	    (sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) == -1)
		xdie(ARGO_EXIT_OSERR, "signalfd: %s", strerror(errno));
	jobs = xmalloc(n * sizeof(*jobs));
	memset(jobs, 0, n * sizeof(*jobs));
	pfd = xmalloc((n + 2) * sizeof(*pfd));
	now = xnow_ms();
	for (i = 0; i < n; i++) {
		jobs[i].w_host = &hosts[i];
		stream_init(&jobs[i].w_s);
		jobs[i].w_dial.d_fd = -1;
		jobs[i].w_state = W_DIAL;
		jobs[i].w_deadline = now + (long long)o->o_timeout * 1000;
		dial_start(&jobs[i].w_dial, &hosts[i]);
		dialed(&jobs[i]);
	}
	for (;;) {
		(void)fflush(stdout);
		now = xnow_ms();
		wait = -1;
		lookups = 0;
		for (i = left = 0; i < n; i++) {
			j = &jobs[i];
			pfd[i + 2].fd = -1;
			pfd[i + 2].events = 0;
			pfd[i + 2].revents = 0;
			if (j->w_state == W_DONE)
				continue;
			left++;
			if (j->w_state == W_DIAL) {
				pfd[i + 2].fd = j->w_dial.d_fd;
				if (j->w_dial.d_state == DIAL_CONNECTING)
					pfd[i + 2].events = POLLOUT;
				else
					lookups = 1;
			} else {
				pfd[i + 2].fd = j->w_s.s_fd;
				pfd[i + 2].events =
				    (short)stream_events(&j->w_s);
			}
			if (j->w_deadline != 0 && (wait == -1 ||
			    j->w_deadline - now < wait))
				wait = j->w_deadline - now > 0 ?
				    j->w_deadline - now : 0;
		}
		if (left == 0)
			break;
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pfd[1].fd = lookups ? net_notify_fd() : -1;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		if (poll(pfd, n + 2, wait > 60000 ? 60000 : (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0) {
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				signals++;
			if (signals == 1)
				interrupt(jobs, xnow_ms());
			else if (signals > 1)
				for (i = 0; i < n; i++)
					if (jobs[i].w_state != W_DONE)
						finish(&jobs[i], ARGO_EXIT_OK,
						    NULL);
		}
		if (pfd[1].revents != 0) {
			net_notify_drain();
			for (i = 0; i < n; i++)
				if (jobs[i].w_state == W_DIAL &&
				    jobs[i].w_dial.d_state == DIAL_LOOKUP) {
					dial_check_lookup(&jobs[i].w_dial);
					dialed(&jobs[i]);
				}
		}
		for (i = 0; i < n; i++)
			if (pfd[i + 2].revents != 0 && pfd[i + 2].fd != -1 &&
			    jobs[i].w_state != W_DONE)
				io(&jobs[i], pfd[i + 2].revents);
		now = xnow_ms();
		for (i = 0; i < n; i++) {
			j = &jobs[i];
			if (j->w_state == W_DONE || j->w_deadline == 0 ||
			    now < j->w_deadline)
				continue;
			if (j->w_state == W_BYE)
				finish(j, ARGO_EXIT_OK, NULL);
			else
				finish(j, ARGO_EXIT_UNREACHABLE, "timed out "
				    "after %d s", o->o_timeout);
		}
	}
	(void)close(sfd);
	free(pfd);
	free(jobs);
	if (fflush(stdout) == EOF || ferror(stdout))
		xdie(ARGO_EXIT_OSERR, "stdout: %s", strerror(errno));
	return (w_worst);
}
