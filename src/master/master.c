/*
 * master.c: the master's loop.  Runs as root when started as root; owns the
 * configuration, the listening sockets, the scoreboard and the broker, and
 * never reads a byte from a client.
 *
 * Start: the instance map is made, then the broker is forked (it keeps the
 * configuration with its password hashes), then the master wipes its own
 * copy of the hashes, seals the map read-only, and only then forks the
 * workers, who can therefore never inherit a hash.  On SIGHUP the master
 * checks the new file, hands the very bytes it checked to the broker, and
 * wipes them again.
 *
 * Signals are blocked except inside ppoll(), so every handler only sets a
 * flag and all work happens in the loop.  A worker writes one byte to the
 * notify pipe when it takes a connection, which wakes the master at once to
 * fork a spare; otherwise the master looks at the scoreboard once a second.
 * The broker's control socket carries its requests to stop a worker that
 * broke the protocol; its end of file, or the broker's death, stops the
 * daemon: no half-alive server.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "config_load.h"
#include "daemon.h"
#include "imap.h"
#include "log.h"
#include "log_relay.h"
#include "prefork.h"
#include "privmsg.h"
#include "util.h"

#define BROKER_STOP_MS	3000

static volatile sig_atomic_t	got_term, got_hup, got_chld;

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		got_term = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	case SIGCHLD:
		got_chld = 1;
		break;
	}
}

/* The broker gets the bytes in a memfd: its own parse, of the same file. */
static int
hand_over(struct master *m, const char *buf, size_t len, int generation)
{
	struct priv_ctl	c;
	int		fd, rc = -1;
	size_t		off;
	ssize_t		n;

	if ((fd = memfd_create("argo-conf", MFD_CLOEXEC)) == -1)
		return (-1);
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, buf + off, len - off)) <= 0)
			goto out;
	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_RELOAD;
	c.c_slot = 0;
	c.c_pid = getpid();
	c.c_generation = generation;
	c.c_len = len;
	rc = privmsg_send(m->m_ctl, &c, sizeof(c), fd, 0);
out:
	close(fd);
	return (rc);
}

static void
reload(struct master *m)
{
	struct config	*old = *m->m_confp, *nc = NULL;
	struct sandbox	 sb;
	char		 err[ARGO_ERR_LEN], *buf;
	size_t		 len;
	int		 gen;

	if (config_read_file(m->m_confpath, &buf, &len, err,
	    sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		return;
	}
	if (config_load_buffer(m->m_confpath, buf, len, &nc, err,
	    sizeof(err)) == -1 || sandbox_prepare(nc, &sb, err,
	    sizeof(err)) == -1) {
		config_free(nc);	/* NULL when it did not parse */
		config_wipe(buf, len);
		util_scrub_stack();
		log_warnx("reload failed: %s", err);
		return;
	}
	gen = m->m_generation + 1;
	if (hand_over(m, buf, len, gen) == -1) {
		log_warn("reload failed: cannot hand the configuration to "
		    "the broker");
		config_free(nc);
		config_wipe(buf, len);
		util_scrub_stack();
		return;
	}
	config_wipe(buf, len);
	config_forget_secrets(nc);
	util_scrub_stack();
	if (!listener_conf_same(old, nc, m->m_portopt)) {
		log_warnx("reload: listen, port, socket and pidfile changes "
		    "need a restart; keeping the bound sockets");
		/* Keep what the running master actually uses. */
		listener_conf_keep(old, nc);
	}
	*m->m_confp = nc;
	config_free(old);
	m->m_sb = sb;
	m->m_generation = gen;
	__atomic_store_n(&m->m_board->b_generation, gen, __ATOMIC_RELEASE);
	/* Idle workers exit now, busy ones after their session. */
	pool_signal(m, SIGUSR1);
	log_info("reload: %s loaded", m->m_confpath);
}

/* The broker wants a worker stopped (it broke the protocol). */
static void
ctl_read(struct master *m)
{
	struct priv_ctl	c;
	unsigned char	buf[sizeof(c) + 1];
	long		n;
	int		fd;

	for (;;) {
		n = privmsg_recv(m->m_ctl, buf, sizeof(buf), &fd, MSG_DONTWAIT);
		if (fd != -1)
			close(fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* Its death is noticed when it is reaped. */
			return;
		}
		if (privmsg_check_ctl(buf, (size_t)n, &c) == -1 ||
		    c.c_type != CTL_KILL) {
			log_warnx("bad message from the broker");
			continue;
		}
		(void)pool_stop(m, c.c_slot, (pid_t)c.c_pid);
	}
}

static void
start_broker(struct master *m)
{
	int	sv[2];
	pid_t	pid;
	char	err[ARGO_ERR_LEN];

	if (imap_create(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		(void)munmap(m->m_board, sizeof(*m->m_board));
		broker_main(*m->m_confp, sv[1]);
		/* NOTREACHED */
	}
	close(sv[1]);
	m->m_ctl = sv[0];
	m->m_broker = pid;
	/* From here on no hash in the master, and the map is read-only. */
	config_forget_secrets(*m->m_confp);
	util_scrub_stack();
	if (imap_seal(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (fcntl(m->m_ctl, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
}

static void
log_ready(const struct master *m)
{
	char	line[LISTENERS_MAX * 136 + 64];
	size_t	off = 0, j;

	for (j = 0; j < m->m_l->l_n; j++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		    " listen=%s", m->m_l->l_name[j]);
	log_info("ready%s workers=%d", line, (*m->m_confp)->c_workers);
}

/* After the workers: the broker, told first, then made to go. */
static void
stop_broker(struct master *m)
{
	long long	end = util_now_ms() + BROKER_STOP_MS;
	struct timespec	ts = { 0, 20 * 1000 * 1000 };

	if (m->m_broker == 0)
		return;
	(void)kill(m->m_broker, SIGTERM);
	while (m->m_broker != 0 && util_now_ms() < end) {
		pool_reap(m);
		if (m->m_broker != 0)
			(void)nanosleep(&ts, NULL);
	}
	if (m->m_broker != 0) {
		(void)kill(m->m_broker, SIGKILL);
		(void)waitpid(m->m_broker, NULL, 0);
		m->m_broker = 0;
	}
}

/* Its socket closed: it is exiting; reap it (a second at most). */
static void
reap_broker(struct master *m)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i, st;

	for (i = 0; i < 100 && m->m_broker != 0; i++) {
		if (waitpid(m->m_broker, &st, WNOHANG) == m->m_broker) {
			m->m_broker = 0;
			m->m_broker_status = st;
			return;
		}
		(void)nanosleep(&ts, NULL);
	}
	if (m->m_broker != 0) {
		(void)kill(m->m_broker, SIGKILL);
		if (waitpid(m->m_broker, &st, 0) == m->m_broker)
			m->m_broker_status = st;
		m->m_broker = 0;
	}
}

static void
broker_died(const struct master *m)
{
	int	st = m->m_broker_status;

	if (WIFSIGNALED(st))
		log_warnx("broker killed by signal %d: stopping",
		    WTERMSIG(st));
	else
		log_warnx("broker exited with status %d: stopping",
		    WEXITSTATUS(st));
}

int
prefork_run(struct config **confp, const char *confpath, int portopt,
    int foreground, const struct sandbox *sb, struct listeners *l)
{
	struct master		 m;
	struct sigaction	 sa;
	sigset_t		 block, empty;
	struct pollfd		 pfd[3];
	struct timespec		 tick = { 1, 0 };
	long long		 stop_at = 0;
	int			 total, idle, rc = 0;
	char			 buf[512];

	memset(&m, 0, sizeof(m));
	m.m_confp = confp;
	m.m_confpath = confpath;
	m.m_portopt = portopt;
	m.m_foreground = foreground;
	m.m_l = l;
	m.m_sb = *sb;
	m.m_board = mmap(NULL, sizeof(*m.m_board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m.m_board == MAP_FAILED)
		fatal("mmap");
	memset(m.m_board, 0, sizeof(*m.m_board));
	m.m_nslots = ARGO_HARD_MAX_CLIENTS + 1;
	if (pipe2(m.m_notify, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");
	if (log_relay_open(m.m_relay) == -1)
		fatal("log relay");

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&empty);

	start_broker(&m);
	pool_maintain(&m);
	log_ready(&m);
	daemon_ready();

	pfd[0].fd = m.m_notify[0];
	pfd[1].fd = m.m_relay[0];
	pfd[2].fd = m.m_ctl;
	pfd[0].events = pfd[1].events = pfd[2].events = POLLIN;
	for (;;) {
		if (ppoll(pfd, 3, &tick, &empty) > 0) {
			/*
			 * A bounded read: a worker that writes without end
			 * must not keep the loop from signals and reaping
			 * (what is left wakes the next round).
			 */
			if (read(m.m_notify[0], buf, sizeof(buf)) == -1) {
				/* EAGAIN: another reason woke us. */
			}
			if (pfd[1].revents != 0)
				log_relay_drain(m.m_relay[0]);
			if (pfd[2].revents & POLLIN)
				ctl_read(&m);
			if (pfd[2].revents & (POLLHUP | POLLERR)) {
				/* Gone: spawn nothing more, and say why. */
				pfd[2].fd = -1;
				reap_broker(&m);
			}
		}
		if (got_chld) {
			got_chld = 0;
			pool_reap(&m);
			/*
			 * A worker woken for a client may have died or left
			 * without it, and no other was woken: if a client
			 * waits, every worker looks (listener.c says why).
			 */
			if (listener_pending(l))
				pool_signal(&m, SIGURG);
		}
		if (m.m_broker == 0 && stop_at == 0) {
			broker_died(&m);
			got_term = 1;
			rc = 1;
		}
		if (got_term && stop_at == 0) {
			log_info("stopping");
			listener_close(l);
			listener_unlink(l);
			pool_signal(&m, SIGTERM);
			stop_at = util_now_ms();
		}
		if (stop_at != 0) {
			pool_count(&m, &total, &idle);
			if (total == 0)
				break;
			/* Without a broker, sessions can do nothing more. */
			if (util_now_ms() - stop_at > (rc != 0 ? 1000L :
			    ARGO_STOP_GRACE * 1000L))
				pool_signal(&m, SIGKILL);
			/* Poll faster while waiting for the last ones. */
			tick.tv_sec = 0;
			tick.tv_nsec = 100 * 1000 * 1000;
			continue;
		}
		if (got_hup) {
			got_hup = 0;
			reload(&m);
		}
		pool_maintain(&m);
	}
	/* Every worker is gone: what they said is finite now. */
	while (log_relay_drain(m.m_relay[0]) > 0)
		;
	stop_broker(&m);
	pidfile_remove((*confp)->c_pidfile);
	log_info("stopped");
	return (rc);
}
