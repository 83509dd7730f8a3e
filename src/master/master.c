/*
 * master.c: the master's loop.  Runs as root when started as root; owns the
 * configuration, the listening sockets, the scoreboard and the broker, and
 * never reads a byte from a client.
 *
 * Start: the instance map is made, then the broker is forked (it keeps the
 * configuration with its password hashes), then the master wipes its own
 * copy of the hashes, seals the map read-only, and only then starts the
 * workers (fork and exec of argo-worker, spawn.c), which hold nothing but
 * what they are handed, never a hash.  On SIGHUP the master
 * checks the new file, hands the very bytes it checked to the broker
 * (master_broker.c), packs the new generation's worker share, and wipes
 * the bytes again.
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
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_load.h"
#include "daemon.h"
#include "log.h"
#include "log_relay.h"
#include "prefork.h"
#include "spawn.h"
#include "util.h"

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

static void
reload(struct master *m)
{
	struct config	*old = *m->m_confp, *nc = NULL;
	struct sandbox	 sb;
	char		 err[ARGO_ERR_LEN], *buf;
	size_t		 len;
	int		 gen, wfd;

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
	if ((wfd = spawn_prepare(nc, &sb, m->m_l, gen, err,
	    sizeof(err))) == -1) {
		log_warnx("reload failed: %s", err);
		config_free(nc);
		config_wipe(buf, len);
		util_scrub_stack();
		return;
	}
	if (master_hand_over(m, buf, len, gen) == -1) {
		log_warn("reload failed: cannot hand the configuration to "
		    "the broker");
		(void)close(wfd);
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
	spawn_commit(wfd, &m->m_sb, m->m_l);
	m->m_generation = gen;
	__atomic_store_n(&m->m_board->b_generation, gen, __ATOMIC_RELEASE);
	/* Idle workers exit now, busy ones after their session. */
	pool_signal(m, SIGUSR1);
	log_info("reload: %s loaded", m->m_confpath);
}

/*
 * The scoreboard: a memfd, so that each argo-worker can map it after its
 * exec; sealed, so that none can shrink it under the master (a fault
 * here) or grow it.
 */
static void
make_board(struct master *m)
{
	m->m_boardfd = memfd_create("argo-board", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING);
	if (m->m_boardfd == -1 ||
	    ftruncate(m->m_boardfd, (off_t)sizeof(*m->m_board)) == -1 ||
	    fcntl(m->m_boardfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1)
		fatal("scoreboard");
	m->m_board = mmap(NULL, sizeof(*m->m_board), PROT_READ | PROT_WRITE,
	    MAP_SHARED, m->m_boardfd, 0);
	if (m->m_board == MAP_FAILED)
		fatal("mmap");
	memset(m->m_board, 0, sizeof(*m->m_board));
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
	int			 total, idle, wfd, rc = 0;
	char			 buf[512], err[ARGO_ERR_LEN];

	memset(&m, 0, sizeof(m));
	m.m_confp = confp;
	m.m_confpath = confpath;
	m.m_portopt = portopt;
	m.m_foreground = foreground;
	m.m_l = l;
	m.m_sb = *sb;
	make_board(&m);
	m.m_nslots = ARGO_HARD_MAX_CLIENTS + 1;
	if (pipe2(m.m_notify, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(m.m_stop, O_CLOEXEC) == -1)
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

	master_start_broker(&m);
	if ((wfd = spawn_prepare(*confp, &m.m_sb, l, m.m_generation, err,
	    sizeof(err))) == -1)
		fatalx("%s", err);
	spawn_commit(wfd, &m.m_sb, l);
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
				master_ctl_read(&m);
			if (pfd[2].revents & (POLLHUP | POLLERR)) {
				/* Gone: spawn nothing more, and say why. */
				pfd[2].fd = -1;
				master_reap_broker(&m);
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
			master_broker_died(&m);
			got_term = 1;
			rc = 1;
		}
		if (got_term && stop_at == 0) {
			log_info("stopping");
			listener_close(l);
			listener_unlink(l);
			pool_signal(&m, SIGTERM);
			/*
			 * And the end of file every worker polls: a signal
			 * sent while a worker is still in its exec is lost
			 * under valgrind.
			 */
			(void)close(m.m_stop[1]);
			m.m_stop[1] = -1;
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
	master_stop_broker(&m);
	pidfile_remove((*confp)->c_pidfile);
	log_info("stopped");
	return (rc);
}
