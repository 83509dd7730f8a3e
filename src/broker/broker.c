/*
 * broker.c: the privileged broker's loop (broker.h).  Runs as root when
 * the daemon was started as root; forked once by the master, before any
 * worker, and never reads a byte from a client.
 *
 * It polls the control socket to the master (new workers' channels,
 * reloads), one SOCK_SEQPACKET channel per worker and the pipes of its
 * jobs (broker_chan.c).  Each request is done in a child of its own, so
 * that one session's 30-second `xl create` or DNS lookup never delays
 * another's request.  A channel has at most one request in flight:
 * further ones wait in its socket.  Configurations are kept by generation
 * while a worker of theirs lives, so a session finishes on the rules it
 * started with.
 *
 * Signals are blocked except inside ppoll(): SIGCHLD reaps children,
 * SIGTERM (from the master, once the workers are gone) ends the broker.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "config_load.h"
#include "dirwatch.h"
#include "imap_write.h"
#include "instances_scan.h"
#include "log.h"
#include "util.h"

static volatile sig_atomic_t got_chld, got_term;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static void
reload(const struct priv_ctl *c, int fd)
{
	struct bconf	*bc;
	struct config	*nc;
	char		*buf, err[ARGO_ERR_LEN];
	ssize_t		 n;

	if (c->c_len > ARGO_MAX_CONF_FILE)
		fatalx("reload: configuration too large");
	buf = util_xmalloc((size_t)c->c_len + 1);
	n = pread(fd, buf, (size_t)c->c_len, 0);
	if (n != (ssize_t)c->c_len)
		fatal("reload: cannot read the configuration");
	if (config_load_buffer(broker_confs->bc_conf->c_path, buf, (size_t)n, &nc,
	    err, sizeof(err)) == -1)
		fatalx("reload: %s", err);
	config_wipe(buf, (size_t)n);
	bc = util_xcalloc(1, sizeof(*bc));
	bc->bc_conf = nc;
	bc->bc_gen = c->c_generation;
	bc->bc_next = broker_confs;
	broker_confs = bc;
	broker_conf_gc();
	instances_reset();
	(void)broker_scan();
}

static void
ctl_read(void)
{
	struct priv_ctl	c;
	unsigned char	buf[sizeof(c) + 1];
	long		n;
	int		fd;

	n = privmsg_recv(broker_ctl, buf, sizeof(buf), &fd, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		fatalx("the master is gone");
	if (privmsg_check_ctl(buf, (size_t)n, &c) == -1 || fd == -1 ||
	    (c.c_type != CTL_WORKER && c.c_type != CTL_RELOAD))
		fatalx("bad message from the master");
	if (c.c_type == CTL_WORKER)
		bchan_add(&c, fd);
	else {
		reload(&c, fd);
		close(fd);
	}
}

static void
reap(void)
{
	int	st, i;
	pid_t	pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (bcon_reaped(pid, st) || bwatch_reaped(pid, st))
			continue;
		for (i = 0; i < BROKER_MAX_CHANS; i++)
			if (broker_chans[i] != NULL &&
			    broker_chans[i]->ch_job == pid)
				break;
		if (i == BROKER_MAX_CHANS)
			continue;
		broker_chans[i]->ch_job = 0;	/* its pid may be reused now */
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			log_warnx("job of worker %ld killed by signal %d",
			    (long)broker_chans[i]->ch_pid, WTERMSIG(st));
	}
}

/* A job past its limit: stop its child; the short reply is an error. */
static void
overdue(long long now)
{
	int	i;

	for (i = 0; i < BROKER_MAX_CHANS; i++) {
		struct bchan *ch = broker_chans[i];

		if (ch == NULL || ch->ch_jobfd == -1 || ch->ch_job == 0 ||
		    now < ch->ch_deadline)
			continue;
		log_warnx("job of worker %ld ran past %ld s: stopping it",
		    (long)ch->ch_pid, job_limit_ms(ch, &ch->ch_rq) / 1000);
		(void)kill(ch->ch_job, SIGKILL);
		ch->ch_deadline = now + 3600 * 1000LL;
	}
}

static void __attribute__((noreturn))
serve(void)
{
	/* The control socket, each channel and its job, the watch's poll. */
	static struct pollfd	 pfd[2 * BROKER_MAX_CHANS + 2];
	static struct bchan	*who[2 * BROKER_MAX_CHANS + 2];
	static int		 isjob[2 * BROKER_MAX_CHANS + 2];
	struct timespec		 tick = { 1, 0 };
	sigset_t		 open;
	nfds_t			 n, k;
	long			 wait;
	int			 i;

	sigemptyset(&open);
	while (!got_term) {
		n = 0;
		pfd[n].fd = broker_ctl;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		for (i = 0; i < BROKER_MAX_CHANS; i++) {
			struct bchan *ch = broker_chans[i];

			if (ch == NULL)
				continue;
			if (ch->ch_fd == -1) {
				broker_chans[i] = NULL;	/* closed last round */
				free(ch);
				continue;
			}
			if (!ch->ch_hup) {
				/* Busy: only a hang-up is of interest. */
				pfd[n].fd = ch->ch_fd;
				pfd[n].events = ch->ch_jobfd == -1 ? POLLIN : 0;
				isjob[n] = 0;
				who[n++] = ch;
			}
			if (ch->ch_jobfd != -1) {
				pfd[n].fd = ch->ch_jobfd;
				pfd[n].events = POLLIN;
				isjob[n] = 1;
				who[n++] = ch;
			}
		}
		if (bwatch_fd() != -1) {
			pfd[n].fd = bwatch_fd();
			pfd[n].events = POLLIN;
			isjob[n] = 0;
			who[n++] = NULL;	/* no channel's */
		}
		if (ppoll(pfd, n, &tick, &open) == -1 && errno != EINTR)
			fatal("poll");
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		overdue(util_now_ms());
		/* Step by step, quickly, while a console is being stopped. */
		if (bcon_tick(util_now_ms())) {
			tick.tv_sec = 0;
			tick.tv_nsec = 50 * 1000 * 1000;
		} else {
			tick.tv_sec = 1;
			tick.tv_nsec = 0;
		}
		for (k = 1; k < n; k++) {
			struct bchan *ch = who[k];

			if (pfd[k].revents != 0 && ch == NULL) {
				bwatch_read();
				continue;
			}
			if (pfd[k].revents == 0 || ch->ch_fd == -1)
				continue;
			if (isjob[k]) {
				if (ch->ch_jobfd == pfd[k].fd)
					bchan_job_read(ch);
			} else if (ch->ch_jobfd != -1)
				ch->ch_hup = 1;	/* finish the job, then close */
			else
				bchan_read(ch);
		}
		if (pfd[0].revents != 0)
			ctl_read();
		/* After the events: a poll just read may make the next due. */
		wait = bwatch_tick(util_now_ms());
		if (wait >= 0 && wait < tick.tv_sec * 1000L +
		    tick.tv_nsec / 1000000) {
			tick.tv_sec = wait / 1000;
			tick.tv_nsec = (wait % 1000) * 1000000;
		}
	}
	log_debug("broker stopping");
	exit(0);
}

void
broker_main(struct config *conf, int ctlfd)
{
	struct sigaction	sa;
	sigset_t		block;
	int			keep[2];

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("prctl");
	(void)prctl(PR_SET_NAME, "argo-broker", 0, 0, 0);
	broker_ctl = ctlfd;
	/*
	 * Nothing of the master's but the control socket, the log and the
	 * daemon's one inotify instance, which workers poll (imap.c).
	 */
	keep[0] = broker_ctl;
	keep[1] = imap_inotify();
	log_suspend();
	util_closefrom_except(keep, 2);
	log_resume();
	dirwatch_use(keep[1]);

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);	/* the master decides, on Ctrl-C too */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);

	broker_confs = util_xcalloc(1, sizeof(*broker_confs));
	broker_confs->bc_conf = conf;
	job_init();
	bchan_init();
	bwatch_init();
	instances_set_logfilter(log_once);
	(void)broker_scan();
	serve();
}
