/*
 * broker_console.c: guest consoles.  Runs in the broker (root).
 *
 * `console NAME` checks like any control request, then, once a job has
 * seen the instance running, the broker starts `TOOL console NAME` itself,
 * as its own child, in a new session on a fresh pseudo-terminal, and hands
 * the worker the terminal's master side with the reply.  From then on the
 * worker relays bytes and the broker only waits: for the worker's "detached"
 * (it passed the client's Ctrl-] to the tool, which exits on it, as
 * xenconsole does), for the tool to end by itself (the guest went away), or
 * for the worker to go.  Whatever comes first, the tool gets a moment to
 * end, then SIGTERM, then SIGKILL, and is always reaped by the broker's
 * loop; one audit line is logged when it is.  One console per instance,
 * across all workers: the name is held from the request to the reaping.
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

#define CON_EXIT_MS	1000	/* for the tool to act on the escape byte */

int
bcon_busy(const char *name)
{
	int	i;

	for (i = 0; i < BROKER_MAX_CHANS; i++)
		if (broker_chans[i] != NULL && broker_chans[i]->ch_fd != -1 &&
		    strcmp(broker_chans[i]->ch_con_name, name) == 0)
			return (1);
	return (0);
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

void
bcon_attach(struct bchan *ch, const struct priv_req *rq)
{
	pid_t	pid;
	int	m;

	if ((m = spawn(ch->ch_bc->bc_conf, ch->ch_con_name, &pid)) == -1) {
		ch->ch_con_name[0] = '\0';
		bchan_reply(ch, rq, PRIV_ERROR, 0, -1);
		return;
	}
	ch->ch_con_pid = pid;
	ch->ch_con_start = util_now_ms();
	ch->ch_con_stop_at = 0;
	ch->ch_con_stage = 0;
	ch->ch_con_reaped = 0;
	ch->ch_con_ending = 0;
	util_strlcpy(ch->ch_con_user, ch->ch_user->u_name,
	    sizeof(ch->ch_con_user));
	util_strlcpy(ch->ch_con_peer, ch->ch_peer, sizeof(ch->ch_con_peer));
	log_debug("console peer=%s user=%s instance=%s attached pid=%ld",
	    ch->ch_peer, ch->ch_con_user, ch->ch_con_name, (long)pid);
	bchan_reply(ch, rq, PRIV_OK, 0, m);
	close(m);
}

/* Reaped: the audit line, the reply to a detach, the name let go. */
static void
finish(struct bchan *ch)
{
	char	rc[32], in[24], out[24];
	int	st = ch->ch_con_status;

	if (WIFSIGNALED(st))
		(void)snprintf(rc, sizeof(rc), "signal-%d", WTERMSIG(st));
	else
		(void)snprintf(rc, sizeof(rc), "%d", WEXITSTATUS(st));
	if (ch->ch_con_ending) {
		(void)snprintf(in, sizeof(in), "%lld",
		    (long long)ch->ch_con_end.r_number);
		(void)snprintf(out, sizeof(out), "%lld",
		    (long long)ch->ch_con_end.r_number2);
	} else {
		util_strlcpy(in, "-", sizeof(in));
		util_strlcpy(out, "-", sizeof(out));
	}
	log_info("control peer=%s user=%s verb=console instance=%s rc=%s "
	    "ms=%lld in=%s out=%s", ch->ch_con_peer, ch->ch_con_user,
	    ch->ch_con_name, rc, util_now_ms() - ch->ch_con_start, in, out);
	ch->ch_con_pid = 0;
	ch->ch_con_name[0] = '\0';
	if (ch->ch_hup) {
		bchan_close(ch);
		return;
	}
	if (ch->ch_con_ending) {
		ch->ch_con_ending = 0;
		bchan_reply(ch, &ch->ch_con_end, PRIV_OK, 0, -1);
	}
}

void
bcon_end(struct bchan *ch, const struct priv_req *rq)
{
	if (ch->ch_con_pid == 0) {
		bchan_reply(ch, rq, PRIV_OK, 0, -1);
		return;
	}
	ch->ch_con_end = *rq;
	ch->ch_con_ending = 1;
	if (ch->ch_con_reaped) {
		finish(ch);
		return;
	}
	if (ch->ch_con_stop_at == 0)
		ch->ch_con_stop_at = util_now_ms() + CON_EXIT_MS;
}

void
bcon_stop(struct bchan *ch)
{
	if (ch->ch_con_reaped) {
		finish(ch);
		return;
	}
	if (ch->ch_con_stage == 0) {
		/* Nobody is left to pass it an escape byte. */
		(void)kill(-ch->ch_con_pid, SIGTERM);
		ch->ch_con_stage = 1;
		ch->ch_con_stop_at = util_now_ms() + ARGO_KILL_GRACE_MS;
	}
}

int
bcon_reaped(pid_t pid, int status)
{
	int	i;

	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		struct bchan *ch = broker_chans[i];

		if (ch == NULL || ch->ch_fd == -1 || ch->ch_con_pid != pid ||
		    ch->ch_con_reaped)
			continue;
		ch->ch_con_reaped = 1;
		ch->ch_con_status = status;
		if (ch->ch_con_ending || ch->ch_hup)
			finish(ch);
		return (1);
	}
	return (0);
}

int
bcon_tick(long long now)
{
	int	i, pending = 0;

	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		struct bchan *ch = broker_chans[i];

		if (ch == NULL || ch->ch_fd == -1 || ch->ch_con_pid == 0 ||
		    ch->ch_con_reaped || ch->ch_con_stop_at == 0)
			continue;
		pending = 1;
		if (now < ch->ch_con_stop_at)
			continue;
		/* Unreaped, its pid still pins its process group. */
		if (ch->ch_con_stage == 0) {
			(void)kill(-ch->ch_con_pid, SIGTERM);
			ch->ch_con_stage = 1;
			ch->ch_con_stop_at = now + ARGO_KILL_GRACE_MS;
		} else {
			(void)kill(-ch->ch_con_pid, SIGKILL);
			ch->ch_con_stage = 2;
			ch->ch_con_stop_at = now + 60 * 1000;
		}
	}
	return (pending);
}
