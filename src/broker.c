/*
 * broker.c: the privileged broker's loop (broker.h).  Runs as root when
 * the daemon was started as root; forked once by the master, before any
 * worker, and never reads a byte from a client.
 *
 * It polls the control socket to the master (new workers' channels,
 * reloads) and one SOCK_SEQPACKET channel per worker.  A request is
 * decoded strictly (privmsg.c); a malformed one gets the worker killed by
 * the master, the broker going on.  A well-formed one is checked against
 * what the broker itself knows (broker_job.c), then done in a child of its
 * own, so that one session's 30-second `xl create` or DNS lookup never
 * delays another's request; the child's reply comes back on a pipe and the
 * broker forwards it, noting a successful login first.  A channel has at
 * most one request in flight: further ones wait in its socket.
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
#include "dirwatch.h"
#include "imap.h"
#include "log.h"
#include "util.h"

#define MAX_CHANS	(2 * (ARGO_HARD_MAX_CLIENTS + 1) + 16)
#define CHAN_SNDBUF	(256 * 1024)	/* a whole reply always fits */

static struct bchan	 chans[MAX_CHANS];
static struct bconf	*confs;		/* newest first */
static int		 ctl = -1;
static volatile sig_atomic_t got_chld, got_term;
static unsigned long	 pub_version;
static int		 pub_flags = -1;
static unsigned char	 jobbuf[PRIV_REP_MAX];	/* a child's reply */

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

/* The broker's scan, published for the workers whenever it changed. */
static const struct instances *
scan(void)
{
	const struct instances	*m;
	int			 flags;

	m = instances_get(confs->bc_conf->c_xen_dir);
	flags = m != NULL && instances_watchable() ? IMAP_F_WATCHABLE : 0;
	if (instances_version() != pub_version || flags != pub_flags) {
		if (imap_publish(m, (unsigned int)flags) != 0) {
			pub_version = instances_version();
			pub_flags = flags;
		}
	}
	return (m);
}

/* Old generations go once their last worker has. */
static void
conf_gc(void)
{
	struct bconf	**pp = &confs->bc_next, *bc;

	while ((bc = *pp) != NULL) {
		if (bc->bc_refs > 0) {
			pp = &bc->bc_next;
			continue;
		}
		*pp = bc->bc_next;
		config_free(bc->bc_conf);
		free(bc);
	}
}

static void
chan_close(struct bchan *ch)
{
	close(ch->ch_fd);
	free(ch->ch_rbuf);
	ch->ch_bc->bc_refs--;
	conf_gc();
	memset(ch, 0, sizeof(*ch));
	ch->ch_fd = ch->ch_jobfd = -1;
}

/* The worker broke the protocol: the master ends it; we stop listening. */
static void
chan_kill(struct bchan *ch, const char *why)
{
	struct priv_ctl	c;

	log_warnx("worker %ld: %s; stopping it", (long)ch->ch_pid, why);
	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_KILL;
	c.c_slot = ch->ch_slot;
	c.c_pid = ch->ch_pid;
	if (privmsg_send(ctl, &c, sizeof(c), -1, 0) == -1)
		log_warn("cannot ask the master to stop worker %ld",
		    (long)ch->ch_pid);
	ch->ch_hup = 1;
	if (ch->ch_jobfd == -1)
		chan_close(ch);
}

static void
chan_send(struct bchan *ch, const void *buf, size_t len, int fd)
{
	if (privmsg_send(ch->ch_fd, buf, len, fd, MSG_DONTWAIT) == 0)
		return;
	if (errno == EPIPE || errno == ECONNRESET)
		chan_close(ch);		/* gone meanwhile */
	else
		chan_kill(ch, "does not read its replies");
}

static void
reply_status(struct bchan *ch, const struct priv_req *rq, int status,
    uint64_t seq, int fd)
{
	struct priv_rep	rep;

	memset(&rep, 0, sizeof(rep));
	rep.p_magic = PRIV_MAGIC;
	rep.p_type = rq->r_type;
	rep.p_status = (uint32_t)status;
	rep.p_seq = seq;
	chan_send(ch, &rep, sizeof(rep), fd);
}

/* Freshen the map; arm the watch first, so no change falls between. */
static void
do_scan(struct bchan *ch, const struct priv_req *rq)
{
	int	wfd = -1;

	if (rq->r_flags & PRIV_F_WATCH)
		wfd = dirwatch_open(confs->bc_conf->c_xen_dir);
	(void)scan();
	reply_status(ch, rq, PRIV_OK, imap_seq(), wfd);
	if (wfd != -1)
		close(wfd);
}

static void
job_start(struct bchan *ch, const struct priv_req *rq,
    const struct instance *inst)
{
	sigset_t	none;
	int		p[2];
	pid_t		pid, broker = getpid();
	size_t		len, off;
	ssize_t		n;

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("pipe");
		reply_status(ch, rq, PRIV_ERROR, 0, -1);
		return;
	}
	if ((pid = fork()) == 0) {
		/* The child: default signals, dies with the broker. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != broker)
			_exit(1);
		(void)signal(SIGCHLD, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[0]);
		len = job_run(ch, rq, inst, jobbuf);
		for (off = 0; off < len; off += (size_t)n)
			if ((n = write(p[1], jobbuf + off, len - off)) <= 0)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (pid == -1 || fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		log_warn("cannot start a job");
		close(p[0]);
		reply_status(ch, rq, PRIV_ERROR, 0, -1);
		return;
	}
	ch->ch_job = pid;
	ch->ch_jobfd = p[0];
	ch->ch_rq = *rq;
	ch->ch_rbuf = util_xmalloc(PRIV_REP_MAX + 1);
	ch->ch_rlen = 0;
	ch->ch_deadline = util_now_ms() + job_limit_ms(ch, rq);
}

static void
job_done(struct bchan *ch)
{
	const struct priv_req	*rq = &ch->ch_rq;
	struct priv_rep		 rep;

	close(ch->ch_jobfd);
	ch->ch_jobfd = -1;
	if (privmsg_check_rep(ch->ch_rbuf, ch->ch_rlen, rq->r_type) == -1) {
		/* The child died or was stopped before it answered. */
		memset(&rep, 0, sizeof(rep));
		rep.p_magic = PRIV_MAGIC;
		rep.p_type = rq->r_type;
		rep.p_status = PRIV_ERROR;
		memcpy(ch->ch_rbuf, &rep, sizeof(rep));
		ch->ch_rlen = sizeof(rep);
	}
	memcpy(&rep, ch->ch_rbuf, sizeof(rep));
	if (rq->r_type == PRIV_AUTH && rep.p_status == PRIV_OK)
		ch->ch_user = config_user(ch->ch_bc->bc_conf, rq->r_user);
	if (ch->ch_hup) {
		chan_close(ch);
		return;
	}
	chan_send(ch, ch->ch_rbuf, ch->ch_rlen, -1);
	if (ch->ch_fd != -1) {
		free(ch->ch_rbuf);
		ch->ch_rbuf = NULL;
	}
}

static void
job_read(struct bchan *ch)
{
	ssize_t	n;

	if (ch->ch_rlen > PRIV_REP_MAX) {
		ch->ch_rlen = 0;	/* too long: not a reply */
		job_done(ch);
		return;
	}
	n = read(ch->ch_jobfd, ch->ch_rbuf + ch->ch_rlen,
	    PRIV_REP_MAX + 1 - ch->ch_rlen);
	if (n > 0)
		ch->ch_rlen += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		job_done(ch);
}

static void
chan_read(struct bchan *ch)
{
	unsigned char		 buf[sizeof(struct priv_req) + 1];
	struct priv_req		 rq;
	const struct instance	*inst;
	const char		*why = "";
	char			 msg[ARGO_ERR_LEN];
	long			 n;
	int			 fd, st;

	n = privmsg_recv(ch->ch_fd, buf, sizeof(buf), &fd, MSG_DONTWAIT);
	if (fd != -1) {
		close(fd);
		chan_kill(ch, "sent a descriptor");
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		chan_close(ch);		/* the worker is gone */
		return;
	}
	if (privmsg_decode_req(buf, (size_t)n, &rq, msg, sizeof(msg)) == -1) {
		char line[ARGO_ERR_LEN + 32];

		(void)snprintf(line, sizeof(line), "malformed request (%s)",
		    msg);
		chan_kill(ch, line);
		return;
	}
	/* A new session of the worker's starts anonymous. */
	if (rq.r_session != ch->ch_session) {
		ch->ch_session = rq.r_session;
		ch->ch_user = NULL;
	}
	if (rq.r_type == PRIV_SCAN) {
		do_scan(ch, &rq);
		return;
	}
	st = job_check(ch, &rq, rq.r_name[0] != '\0' ? scan() : NULL, &inst,
	    &why);
	if (st != PRIV_OK) {
		log_warnx("refused %s%s%s of worker %ld (peer=%s user=%s): %s",
		    rq.r_type == PRIV_CONTROL ? privmsg_verb_name(rq.r_verb) :
		    rq.r_type == PRIV_LIST ? "list" : "resolve",
		    rq.r_name[0] ? " " : "", rq.r_name, (long)ch->ch_pid,
		    rq.r_peer, ch->ch_user ? ch->ch_user->u_name : "-", why);
		reply_status(ch, &rq, st, 0, -1);
		return;
	}
	job_start(ch, &rq, inst);
}

static void
chan_add(const struct priv_ctl *c, int fd)
{
	struct bconf	*bc;
	int		 i, sz = CHAN_SNDBUF;

	for (i = 0; i < MAX_CHANS && chans[i].ch_fd != -1; i++)
		;
	if (i == MAX_CHANS) {
		log_warnx("no room for worker %ld", (long)c->c_pid);
		close(fd);
		return;
	}
	for (bc = confs; bc->bc_next != NULL && bc->bc_gen != c->c_generation;
	    bc = bc->bc_next)
		;
	if (bc->bc_gen != c->c_generation)
		bc = confs;
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(&chans[i], 0, sizeof(chans[i]));
	chans[i].ch_fd = fd;
	chans[i].ch_jobfd = -1;
	chans[i].ch_pid = c->c_pid;
	chans[i].ch_slot = c->c_slot;
	chans[i].ch_bc = bc;
	bc->bc_refs++;
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
	if (config_load_buffer(confs->bc_conf->c_path, buf, (size_t)n, &nc,
	    err, sizeof(err)) == -1)
		fatalx("reload: %s", err);
	config_wipe(buf, (size_t)n);
	bc = util_xcalloc(1, sizeof(*bc));
	bc->bc_conf = nc;
	bc->bc_gen = c->c_generation;
	bc->bc_next = confs;
	confs = bc;
	conf_gc();
	instances_reset();
	(void)scan();
}

static void
ctl_read(void)
{
	struct priv_ctl	c;
	unsigned char	buf[sizeof(c) + 1];
	long		n;
	int		fd;

	n = privmsg_recv(ctl, buf, sizeof(buf), &fd, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		fatalx("the master is gone");
	if (privmsg_check_ctl(buf, (size_t)n, &c) == -1 || fd == -1 ||
	    (c.c_type != CTL_WORKER && c.c_type != CTL_RELOAD))
		fatalx("bad message from the master");
	if (c.c_type == CTL_WORKER)
		chan_add(&c, fd);
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
		for (i = 0; i < MAX_CHANS; i++)
			if (chans[i].ch_job == pid)
				break;
		if (i == MAX_CHANS)
			continue;
		chans[i].ch_job = 0;	/* its pid may be reused from now on */
		if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
			log_warnx("job of worker %ld killed by signal %d",
			    (long)chans[i].ch_pid, WTERMSIG(st));
	}
}

/* A job past its limit: stop its child; the short reply is an error. */
static void
overdue(long long now)
{
	int	i;

	for (i = 0; i < MAX_CHANS; i++) {
		struct bchan *ch = &chans[i];

		if (ch->ch_jobfd == -1 || ch->ch_job == 0 ||
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
	static struct pollfd	 pfd[2 * MAX_CHANS + 1];
	static struct bchan	*who[2 * MAX_CHANS + 1];
	static int		 isjob[2 * MAX_CHANS + 1];
	struct timespec		 tick = { 1, 0 };
	sigset_t		 open;
	nfds_t			 n, k;
	int			 i;

	sigemptyset(&open);
	while (!got_term) {
		n = 0;
		pfd[n].fd = ctl;
		pfd[n].events = POLLIN;
		who[n++] = NULL;
		for (i = 0; i < MAX_CHANS; i++) {
			struct bchan *ch = &chans[i];

			if (ch->ch_fd == -1)
				continue;
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
		if (ppoll(pfd, n, &tick, &open) == -1 && errno != EINTR)
			fatal("poll");
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		overdue(util_now_ms());
		for (k = 1; k < n; k++) {
			struct bchan *ch = who[k];

			if (pfd[k].revents == 0 || ch->ch_fd == -1)
				continue;
			if (isjob[k]) {
				if (ch->ch_jobfd == pfd[k].fd)
					job_read(ch);
			} else if (ch->ch_jobfd != -1)
				ch->ch_hup = 1;	/* finish the job, then close */
			else
				chan_read(ch);
		}
		if (pfd[0].revents != 0)
			ctl_read();
	}
	log_debug("broker stopping");
	exit(0);
}

void
broker_main(struct config *conf, int ctlfd)
{
	struct sigaction	sa;
	sigset_t		block;
	int			i;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		fatal("prctl");
	(void)prctl(PR_SET_NAME, "argo-broker", 0, 0, 0);
	ctl = ctlfd;
	/* Nothing of the master's but the control socket and the log. */
	log_closefrom_except(&ctl, 1);

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

	for (i = 0; i < MAX_CHANS; i++)
		chans[i].ch_fd = chans[i].ch_jobfd = -1;
	confs = util_xcalloc(1, sizeof(*confs));
	confs->bc_conf = conf;
	job_init();
	instances_set_logfilter(log_once);
	(void)scan();
	serve();
}
