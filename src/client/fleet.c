/*
 * fleet.c: the poll loop that runs one command on many hosts.
 *
 * Each host is a small state machine: dial (lookup, connect), then with
 * -u the `auth` line and its reply, then the command and `quit` in one
 * write (pipelined, as DESIGN.md section 2 allows), the reply, and the
 * `300 BYE` that lets the server close first.  The command is sent only
 * after a successful login, so it never runs on an account other than the
 * one asked for.  A host's deadline covers all of it; once the reply is
 * in, running out of time waiting for `300 BYE` no longer changes the
 * outcome.  At most -j hosts are in flight; the next starts as soon as
 * one is finished.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fleet.h"
#include "net.h"
#include "out.h"
#include "reply.h"
#include "stream.h"
#include "transport.h"
#include "xutil.h"

enum job_state { J_WAIT, J_DIAL, J_AUTH, J_REPLY, J_BYE, J_DONE };

struct job {
	size_t		 j_index;
	enum job_state	 j_state;
	struct dial	 j_dial;
	struct stream	 j_s;
	long long	 j_deadline;
	struct reply	 j_reply;
	int		 j_status;
};

static const struct host	*f_hosts;
static const struct request	*f_rq;
static const struct opts	*f_opts;
static int			 f_worst;

/* Is the command's first word w? */
static int
first_word(const char *w)
{
	size_t	n = strlen(w);

	return (strncasecmp(f_rq->rq_line, w, n) == 0 &&
	    (f_rq->rq_line[n] == '\0' || argo_is_blank(f_rq->rq_line[n])));
}

static void
queue_command(struct job *j)
{
	static const char	 quit[] = "\nquit\n";
	const char		*w = f_rq->rq_line;

	/* After a `quit` of its own the server would not read ours. */
	if (first_word("quit") || first_word("exit"))
		stream_queue(&j->j_s, w, f_rq->rq_len, "\n", 1);
	else
		stream_queue(&j->j_s, w, f_rq->rq_len, quit, sizeof(quit) - 1);
}

static void
finish(struct job *j, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct job *j, int status, const char *fmt, ...)
{
	char	msg[ARGO_CLIENT_ERR + 64];
	va_list	ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		out_error(j->j_index, "%s", msg);
	}
	stream_close(&j->j_s);
	dial_stop(&j->j_dial);
	j->j_state = J_DONE;
	if (status > f_worst)
		f_worst = status;
	out_done(j->j_index);
}

/* After any progress of the dial. */
static void
dialed(struct job *j)
{
	switch (j->j_dial.d_state) {
	case DIAL_OPEN:
		stream_open(&j->j_s, dial_take(&j->j_dial));
		dial_stop(&j->j_dial);
		memset(&j->j_reply, 0, sizeof(j->j_reply));
		if (f_rq->rq_user != NULL) {
			stream_queue_auth(&j->j_s, f_rq->rq_user,
			    f_rq->rq_pass);
			j->j_state = J_AUTH;
		} else {
			queue_command(j);
			j->j_state = J_REPLY;
		}
		break;
	case DIAL_FAILED:
		finish(j, ARGO_EXIT_UNREACHABLE, "%s", j->j_dial.d_err);
		break;
	default:
		break;
	}
}

static void
start(struct job *j)
{
	j->j_deadline = xnow_ms() + (long long)f_opts->o_timeout * 1000;
	j->j_state = J_DIAL;
	dial_start(&j->j_dial, &f_hosts[j->j_index]);
	dialed(j);
}

/* One line of the reply (stream_io()): -1 when it finished the job. */
static int
line(void *arg, char *l, size_t len)
{
	struct job	*j = arg;
	enum reply_ev	 ev;

	if (j->j_state == J_BYE)
		return (0);	/* 300 BYE or anything: EOF decides */
	ev = reply_line(&j->j_reply, l, len);
	if (ev == RP_BAD) {
		finish(j, ARGO_EXIT_UNREACHABLE, "protocol error: "
		    "unexpected line \"%.60s\"", l);
		return (-1);
	}
	if (ev == RP_ERROR) {
		/* Nothing more to send but our goodbye. */
		stream_queue(&j->j_s, "quit\n", 5, "", 0);
		j->j_status = ARGO_EXIT_REFUSED;
		j->j_state = J_BYE;
		out_error(j->j_index, "%s", l);
		return (0);
	}
	if (j->j_state == J_AUTH) {
		if (ev == RP_END) {
			queue_command(j);
			j->j_state = J_REPLY;
		}
		return (0);	/* auth has no body */
	}
	if (ev == RP_BODY && out_body(j->j_index, l, len) == -1) {
		finish(j, ARGO_EXIT_UNREACHABLE, "reply longer than %d MiB",
		    ARGO_CLIENT_MAX_REPLY / (1024 * 1024));
		return (-1);
	}
	if (ev == RP_END) {
		j->j_status = ARGO_EXIT_OK;
		j->j_state = J_BYE;
	}
	return (0);
}

static void
closed(struct job *j, const char *why)
{
	char	ssh[ARGO_CLIENT_ERR];

	/* An ssh that ended says why (no route, key refused, ...). */
	if (j->j_state != J_BYE) {
		transport_why(j->j_s.s_fd, ssh, sizeof(ssh));
		if (ssh[0] != '\0') {
			finish(j, ARGO_EXIT_UNREACHABLE, "%s", ssh);
			return;
		}
	}
	if (j->j_state == J_BYE)
		finish(j, j->j_status, NULL);
	else if (j->j_reply.rp_inbody)
		finish(j, ARGO_EXIT_UNREACHABLE, "%s before the reply ended",
		    why);
	else
		finish(j, ARGO_EXIT_UNREACHABLE, "%s without a reply", why);
}

static void
io(struct job *j, short revents)
{
	enum stream_ev	ev;

	if (j->j_state == J_DIAL) {
		dial_check_connect(&j->j_dial);
		dialed(j);
		return;
	}
	ev = stream_io(&j->j_s, revents, line, j);
	if (ev == STREAM_LONG)
		finish(j, ARGO_EXIT_UNREACHABLE, "%s", stream_why(ev));
	else if (ev == STREAM_EOF || ev == STREAM_ERROR)
		closed(j, stream_why(ev));
}

static void
expire(struct job *j)
{
	if (j->j_state == J_BYE)
		finish(j, j->j_status, NULL);
	else
		finish(j, ARGO_EXIT_UNREACHABLE, "timed out after %d s",
		    f_opts->o_timeout);
}

/* The events job j waits for, or 0 if it waits for a lookup. */
static int
wanted(const struct job *j, int *fd)
{
	if (j->j_state == J_DIAL) {
		*fd = j->j_dial.d_fd;
		return (j->j_dial.d_state == DIAL_CONNECTING ? POLLOUT : 0);
	}
	*fd = j->j_s.s_fd;
	return (stream_events(&j->j_s));
}

/* Start jobs up to the -j bound; drop the finished from act. */
static size_t
refill(struct job *jobs, size_t n, size_t *act, size_t nact, size_t *next)
{
	size_t	i, k;

	for (i = k = 0; i < nact; i++)
		if (jobs[act[i]].j_state != J_DONE)
			act[k++] = act[i];
	nact = k;
	while (nact < (size_t)f_opts->o_jobs && *next < n) {
		start(&jobs[*next]);
		if (jobs[*next].j_state != J_DONE)
			act[nact++] = *next;
		(*next)++;
	}
	return (nact);
}

int
fleet_run(const struct host *hosts, size_t n, const struct request *rq,
    const struct opts *o)
{
	struct job	*jobs, *j;
	struct pollfd	*pfd;
	size_t		*act, next = 0, nact = 0, i, np;
	long long	 now, wait;
	int		 lookups;

	f_hosts = hosts;
	f_rq = rq;
	f_opts = o;
	f_worst = ARGO_EXIT_OK;
	jobs = xmalloc(n * sizeof(*jobs));
	memset(jobs, 0, n * sizeof(*jobs));
	act = xmalloc((size_t)o->o_jobs * sizeof(size_t));	/* indexes */
	pfd = xmalloc(((size_t)o->o_jobs + 1) * sizeof(*pfd));
	out_init(hosts, n, o->o_ordered);
	for (i = 0; i < n; i++) {
		jobs[i].j_index = i;
		stream_init(&jobs[i].j_s);
		jobs[i].j_dial.d_fd = -1;
	}
	while ((nact = refill(jobs, n, act, nact, &next)) > 0) {
		/* pfd[0]: lookups, when any; pfd[1 + i]: job act[i]. */
		now = xnow_ms();
		wait = -1;
		lookups = 0;
		for (i = 0, np = 1; i < nact; i++, np++) {
			j = &jobs[act[i]];
			pfd[np].events = (short)wanted(j, &pfd[np].fd);
			pfd[np].revents = 0;
			if (pfd[np].events == 0)
				lookups = 1;
			if (wait == -1 || j->j_deadline - now < wait)
				wait = j->j_deadline - now;
		}
		pfd[0].fd = lookups ? net_notify_fd() : -1;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (wait < 0)
			wait = 0;
		if (poll(pfd, np, wait > 60000 ? 60000 : (int)wait) == -1) {
			if (errno == EINTR)
				continue;
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		}
		if (pfd[0].revents != 0) {
			net_notify_drain();
			for (i = 0; i < nact; i++) {
				j = &jobs[act[i]];
				if (j->j_state == J_DIAL &&
				    j->j_dial.d_state == DIAL_LOOKUP) {
					dial_check_lookup(&j->j_dial);
					dialed(j);
				}
			}
		}
		for (i = 0; i < nact; i++) {
			j = &jobs[act[i]];
			/* A job whose state moved on since is polled anew. */
			if (pfd[i + 1].revents != 0 && pfd[i + 1].fd != -1 &&
			    j->j_state != J_DONE)
				io(j, pfd[i + 1].revents);
		}
		now = xnow_ms();
		for (i = 0; i < nact; i++) {
			j = &jobs[act[i]];
			if (j->j_state != J_DONE && now >= j->j_deadline)
				expire(j);
		}
	}
	free(pfd);
	free(act);
	free(jobs);
	if (out_finish() == -1)
		xdie(ARGO_EXIT_OSERR, "stdout: %s", strerror(errno));
	return (f_worst);
}
