/*
 * broker_console.c: guest consoles.  Runs in the broker (root).
 *
 * `console NAME` checks like any control request, then, once a job has
 * seen the instance running, the broker starts `TOOL console NAME` itself,
 * as its own child, in a new session on a fresh pseudo-terminal, and hands
 * the worker the terminal's master side with the reply.  From then on the
 * worker relays bytes and the broker only waits: for the worker's "ended"
 * (Ctrl-], the guest went away, the client vanished, idle_timeout) or for
 * the worker to go.  Either releases the session's hold on the name at
 * once and answers at once; the tool, if it has not ended by itself, gets
 * SIGTERM then, SIGKILL after ARGO_KILL_GRACE_MS, and is reaped on
 * SIGCHLD, when the audit line is logged.
 *
 * One console per instance, across all workers.  xl's xenconsole takes a
 * lock per domain and refuses a second console while an old one lives,
 * and two readers of one guest console would steal each other's bytes
 * (xm's has no lock); so a new console waits until the last tool of that
 * name is reaped, and until a session still attached to it lets go: at
 * most CON_HELD_WAIT_MS for an attached one (a client that reconnects at
 * once races its old worker's report of the drop), CON_STOP_WAIT_MS for
 * one being stopped.  Only then is the answer 400 CONSOLE BUSY.
 */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "broker.h"
#include "exec.h"
#include "log.h"
#include "util.h"

#define CON_MAX			BROKER_MAX_CHANS	/* tools at once */
#define CON_HELD_WAIT_MS	1000
#define CON_STOP_WAIT_MS	(ARGO_KILL_GRACE_MS + 1000)

/* One `TOOL console`, from its fork to its reaping. */
struct con {
	struct bchan	*c_ch;		/* the session on it, NULL: released */
	long long	 c_start;
	long long	 c_stop_at;	/* the next step, while c_stage is 1 */
	long long	 c_in, c_out;	/* the worker's claim, never checked */
	pid_t		 c_pid;		/* 0: a free slot */
	int		 c_reaped;
	int		 c_status;	/* once reaped */
	int		 c_stage;	/* 0: running, 1: TERM sent, 2: KILL */
	int		 c_claimed;	/* the worker said how many bytes */
	char		 c_name[ARGO_MAX_NAME + 1];
	char		 c_user[ARGO_MAX_NAME + 1];
	char		 c_peer[PRIV_PEER_MAX];
};

static struct con	cons[CON_MAX];

/*
 * The terminal's input side raw before the tool runs, as xenconsole makes
 * it once started: what the client sends meanwhile (a paste right behind
 * the request) is neither echoed, nor held for a line, nor cut at 4 KiB,
 * nor turned into signals by the line discipline.  Output processing
 * stays, so that the tool's own messages before that keep their CR LF.
 */
static void
raw_input(int m)
{
	struct termios	t;

	if (tcgetattr(m, &t) == -1)
		return;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
	    IGNCR | ICRNL | IXON);
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	(void)tcsetattr(m, TCSANOW, &t);
}

/* `TOOL console NAME` on a new pty: the master side, or -1 (logged). */
static int
spawn(const struct config *c, const char *name, pid_t *pidp)
{
	struct winsize	 ws = { 24, 80, 0, 0 };
	char		 slave[128], err[ARGO_ERR_LEN], *argv[4];
	sigset_t	 all, old;
	int		 m, sfd;
	pid_t		 pid;

	if (exec_tool_ok(c->c_toolstack, err, sizeof(err)) == -1) {
		log_warnx("console: %s", err);
		return (-1);
	}
	if ((m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1 ||
	    grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, slave, sizeof(slave)) != 0) {
		log_warn("console: pseudo-terminal");
		if (m != -1)
			close(m);
		return (-1);
	}
	(void)ioctl(m, TIOCSWINSZ, &ws);
	raw_input(m);
	argv[0] = c->c_toolstack;
	argv[1] = (char *)(uintptr_t)"console";
	argv[2] = (char *)(uintptr_t)name;
	argv[3] = NULL;
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == 0) {
		/* Its own session, the pty its controlling terminal. */
		(void)setsid();
		if ((sfd = open(slave, O_RDWR)) == -1)
			_exit(127);
		(void)ioctl(sfd, TIOCSCTTY, 0);
		(void)prctl(PR_SET_PDEATHSIG, SIGHUP);
		exec_child(c->c_toolstack, argv, sfd, sfd, sfd);
		/* NOTREACHED */
	}
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1) {
		log_warn("console: fork");
		close(m);
		return (-1);
	}
	*pidp = pid;
	return (m);
}

/* Is a tool of that name still about (attached or not yet reaped)? */
static struct con *
holder(const char *name)
{
	int	i;

	for (i = 0; i < CON_MAX; i++)
		if (cons[i].c_pid != 0 && strcmp(cons[i].c_name, name) == 0)
			return (&cons[i]);
	return (NULL);
}

static void
start(struct bchan *ch, const struct priv_req *rq)
{
	struct con	*c = NULL;
	pid_t		 pid;
	int		 i, m;

	for (i = 0; i < CON_MAX && c == NULL; i++)
		if (cons[i].c_pid == 0)
			c = &cons[i];
	if (c == NULL)
		log_warnx("console: %d consoles already", CON_MAX);
	if (c == NULL || ch->ch_user == NULL ||
	    (m = spawn(ch->ch_bc->bc_conf, ch->ch_con_name, &pid)) == -1) {
		ch->ch_con_name[0] = '\0';
		bchan_reply(ch, rq, PRIV_ERROR, 0, -1);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->c_pid = pid;
	c->c_ch = ch;
	c->c_start = util_now_ms();
	util_strlcpy(c->c_name, ch->ch_con_name, sizeof(c->c_name));
	util_strlcpy(c->c_user, ch->ch_user->u_name, sizeof(c->c_user));
	util_strlcpy(c->c_peer, ch->ch_peer, sizeof(c->c_peer));
	ch->ch_con = (int)(c - cons) + 1;
	ch->ch_con_pid = pid;
	log_debug("console peer=%s user=%s instance=%s attached pid=%ld",
	    c->c_peer, c->c_user, c->c_name, (long)pid);
	bchan_reply(ch, rq, PRIV_OK, 0, m);
	close(m);
}

void
bcon_attach(struct bchan *ch, const struct priv_req *rq)
{
	struct con	*c;

	if ((c = holder(ch->ch_con_name)) == NULL) {
		start(ch, rq);
		return;
	}
	ch->ch_con_rq = *rq;
	ch->ch_con_wait = util_now_ms() + (c->c_ch != NULL ?
	    CON_HELD_WAIT_MS : CON_STOP_WAIT_MS);
}

/* The first session waiting for name gets it, now that it is free (the
 * next one if that one's tool cannot start). */
static void
wake(const char *name)
{
	struct bchan	*ch, *first;
	int		 i;

	while (holder(name) == NULL) {
		first = NULL;
		for (i = 0; i < BROKER_MAX_CHANS; i++) {
			ch = broker_chans[i];
			if (ch == NULL || ch->ch_fd == -1 ||
			    ch->ch_con_wait == 0 ||
			    strcmp(ch->ch_con_name, name) != 0)
				continue;
			if (first == NULL ||
			    ch->ch_con_wait < first->ch_con_wait)
				first = ch;
		}
		if (first == NULL)
			return;
		first->ch_con_wait = 0;
		start(first, &first->ch_con_rq);
	}
}

/* Reaped and released: the audit line, the slot and the name let go. */
static void
finish(struct con *c)
{
	char	rc[32], in[24], out[24], name[ARGO_MAX_NAME + 1];
	int	st = c->c_status;

	if (WIFSIGNALED(st))
		(void)snprintf(rc, sizeof(rc), "signal-%d", WTERMSIG(st));
	else
		(void)snprintf(rc, sizeof(rc), "%d", WEXITSTATUS(st));
	/* The worker's word, which we cannot see: named so, never < 0. */
	if (c->c_claimed) {
		(void)snprintf(in, sizeof(in), "%lld",
		    c->c_in > 0 ? c->c_in : 0);
		(void)snprintf(out, sizeof(out), "%lld",
		    c->c_out > 0 ? c->c_out : 0);
	} else {
		util_strlcpy(in, "-", sizeof(in));
		util_strlcpy(out, "-", sizeof(out));
	}
	log_info("control peer=%s user=%s verb=console instance=%s rc=%s "
	    "ms=%lld worker_in=%s worker_out=%s", c->c_peer, c->c_user,
	    c->c_name, rc, util_now_ms() - c->c_start, in, out);
	util_strlcpy(name, c->c_name, sizeof(name));
	c->c_pid = 0;
	wake(name);
}

/* ch lets go of its console; the tool is stopped unless already gone. */
static void
release(struct bchan *ch, const struct priv_req *claim)
{
	struct con	*c = &cons[ch->ch_con - 1];
	long long	 now = util_now_ms();
	int		 i;

	ch->ch_con = 0;
	ch->ch_con_pid = 0;
	ch->ch_con_name[0] = '\0';
	c->c_ch = NULL;
	if (claim != NULL) {
		c->c_claimed = 1;
		c->c_in = claim->r_number;
		c->c_out = claim->r_number2;
	}
	if (c->c_reaped) {
		finish(c);
		return;
	}
	/* Unreaped, its pid still pins its process group. */
	(void)kill(-c->c_pid, SIGTERM);
	c->c_stage = 1;
	c->c_stop_at = now + ARGO_KILL_GRACE_MS;
	/* Those waiting for it now wait for the stop, not for a session. */
	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		struct bchan *w = broker_chans[i];

		if (w != NULL && w->ch_fd != -1 && w->ch_con_wait != 0 &&
		    strcmp(w->ch_con_name, c->c_name) == 0 &&
		    w->ch_con_wait < now + CON_STOP_WAIT_MS)
			w->ch_con_wait = now + CON_STOP_WAIT_MS;
	}
}

void
bcon_end(struct bchan *ch, const struct priv_req *rq)
{
	if (ch->ch_con_wait != 0) {	/* out of turn: gives up the wait */
		ch->ch_con_wait = 0;
		ch->ch_con_name[0] = '\0';
	}
	if (ch->ch_con != 0)
		release(ch, rq);
	bchan_reply(ch, rq, PRIV_OK, 0, -1);
}

void
bcon_stop(struct bchan *ch)
{
	ch->ch_con_wait = 0;
	if (ch->ch_con == 0)
		return;
	release(ch, NULL);
}

int
bcon_reaped(pid_t pid, int status)
{
	int	i;

	for (i = 0; i < CON_MAX; i++) {
		struct con *c = &cons[i];

		if (c->c_pid != pid || c->c_reaped)
			continue;
		c->c_reaped = 1;
		c->c_status = status;
		/* Attached, it is finished when its session lets go. */
		if (c->c_ch == NULL)
			finish(c);
		return (1);
	}
	return (0);
}

int
bcon_tick(long long now)
{
	int	i, pending = 0;

	for (i = 0; i < CON_MAX; i++) {
		struct con *c = &cons[i];

		if (c->c_pid == 0 || c->c_reaped || c->c_stage != 1)
			continue;
		pending = 1;
		if (now < c->c_stop_at)
			continue;
		(void)kill(-c->c_pid, SIGKILL);
		c->c_stage = 2;		/* reaped whenever the kernel lets go */
	}
	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		struct bchan *ch = broker_chans[i];

		if (ch == NULL || ch->ch_fd == -1 || ch->ch_con_wait == 0)
			continue;
		pending = 1;
		if (now < ch->ch_con_wait)
			continue;
		ch->ch_con_wait = 0;
		ch->ch_con_name[0] = '\0';
		log_debug("console instance=%s: still held, busy",
		    ch->ch_con_rq.r_name);
		bchan_reply(ch, &ch->ch_con_rq, PRIV_BUSY, 0, -1);
	}
	return (pending);
}
