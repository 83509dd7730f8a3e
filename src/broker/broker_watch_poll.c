/*
 * broker_watch_poll.c: the one toolstack poll behind every `watch`, in the
 * broker (root).  While at least one session watches, `TOOL list` runs in
 * a child of the broker's every watch_interval seconds (of the newest
 * configuration, like the scan), never two at once, and not at all while
 * nobody watches; the first watcher gets one at once.  The child writes
 * its reply on a pipe the broker's loop polls; broker_watch.c makes lines
 * of it.  exec_run() in the child keeps toolstack_timeout; a child that
 * outlives it anyway is killed here.
 *
 * broker_watch.c starts polls and knows who watches; the results go back
 * to it through what it registered (bwatch_poll_init), so that this file
 * sits below it and never calls up.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "domlist.h"
#include "job_child.h"
#include "log.h"
#include "toolstack.h"
#include "util.h"

static pid_t		 poll_pid;	/* the poll's child, till reaped */
static int		 poll_fd = -1;	/* its reply, till read whole */
static unsigned char	*poll_buf;
static size_t		 poll_len;
static long long	 poll_next, poll_deadline;

static int	(*watchers)(void);
static void	(*polled)(const struct domlist *);
static void	(*failed)(const char *);

void
bwatch_poll_init(int (*wanted)(void), void (*good)(const struct domlist *),
    void (*bad)(const char *))
{
	watchers = wanted;
	polled = good;
	failed = bad;
}

static void
poll_done(void)
{
	const struct config	*c = broker_confs->bc_conf;
	struct priv_rep		 rep;
	struct domlist		 dl;
	char			 why[64];

	if (watchers() == 0)
		return;		/* nobody left to tell */
	if (privmsg_check_rep(poll_buf, poll_len, PRIV_LIST) == -1) {
		failed("killed");
		return;
	}
	memcpy(&rep, poll_buf, sizeof(rep));
	switch (rep.p_status) {
	case PRIV_OK:
		if (domlist_parse((const char *)poll_buf + sizeof(rep),
		    rep.p_outlen, &dl) == -1) {
			failed("unexpected output from list");
			return;
		}
		polled(&dl);
		domlist_free(&dl);
		return;
	case PRIV_FAILED:
		failed(rep.p_summary);
		return;
	case PRIV_TIMEOUT:
		(void)snprintf(why, sizeof(why), "timed out after %d s",
		    c->c_toolstack_timeout);
		failed(why);
		return;
	default:
		failed("cannot run the toolstack");
		return;
	}
}

static size_t
poll_child(const void *arg, unsigned char *buf)
{
	const struct config	*c = arg;
	struct priv_rep		 rep;
	size_t			 len;

	memset(&rep, 0, sizeof(rep));
	rep.p_magic = PRIV_MAGIC;
	rep.p_type = PRIV_LIST;
	len = toolstack_reply(toolstack_run(c, "list", NULL, NULL),
	    "watch: list", &rep, (char *)buf + sizeof(rep));
	memcpy(buf, &rep, sizeof(rep));
	return (len);
}

/* `TOOL list` in a child, whose reply comes back on a pipe. */
static void
poll_start(long long now)
{
	const struct config	*c = broker_confs->bc_conf;
	pid_t			 pid;
	int			 fd;

	poll_next = now + (long long)c->c_watch_interval * 1000;
	if ((pid = job_child_start(poll_child, c, &fd)) == -1) {
		log_warn("watch: cannot start the poll");
		return;
	}
	poll_pid = pid;
	poll_fd = fd;
	poll_len = 0;
	poll_buf = util_xmalloc(PRIV_REP_MAX + 1);
	/* exec_run() keeps the timeout; this is the backstop. */
	poll_deadline = now + (long long)c->c_toolstack_timeout * 1000 +
	    ARGO_KILL_GRACE_MS + 5000;
}

int
bwatch_fd(void)
{
	return (poll_fd);
}

void
bwatch_read(void)
{
	ssize_t	n;

	n = read(poll_fd, poll_buf + poll_len, PRIV_REP_MAX + 1 - poll_len);
	if (n > 0) {
		poll_len += (size_t)n;
		if (poll_len <= PRIV_REP_MAX)
			return;
		poll_len = 0;		/* too long: not a reply */
	} else if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	close(poll_fd);
	poll_fd = -1;
	poll_done();
	free(poll_buf);
	poll_buf = NULL;
}

int
bwatch_reaped(pid_t pid, int status)
{
	if (pid != poll_pid || pid == 0)
		return (0);
	poll_pid = 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
		log_warnx("watch: the poll was killed by signal %d",
		    WTERMSIG(status));
	return (1);
}

long
bwatch_tick(long long now)
{
	if (poll_fd != -1 && poll_pid != 0 && now >= poll_deadline) {
		log_warnx("watch: the poll ran past its limit: stopping it");
		(void)kill(poll_pid, SIGKILL);
		poll_deadline = now + 3600 * 1000LL;
	}
	if (watchers() == 0 || poll_pid != 0 || poll_fd != -1)
		return (-1);	/* the poll's end wakes us */
	if (now >= poll_next)
		poll_start(now);
	return (poll_pid != 0 ? -1 : poll_next - now);
}

void
bwatch_poll_now(void)
{
	if (poll_pid == 0 && poll_fd == -1)
		poll_start(util_now_ms());
}
