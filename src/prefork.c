/*
 * prefork.c: the master.  It owns the configuration, the listening sockets
 * and the scoreboard; it forks, counts, reaps and retires workers and never
 * reads from a client.
 *
 * Signals are blocked except inside ppoll(), so every handler only sets a
 * flag and all work happens in the loop.  A worker writes one byte to the
 * notify pipe when it takes a connection, which wakes the master at once to
 * fork a spare; otherwise the master looks at the scoreboard once a second.
 *
 * Pool size: `workers` idle ones are kept ready, up to max_clients + 1
 * processes in all.  The one beyond max_clients exists so that a client
 * over the limit is told "400 SERVER BUSY" instead of waiting unanswered in
 * the listen backlog.
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
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "instances.h"
#include "log.h"
#include "prefork.h"
#include "util.h"
#include "worker.h"

#define SPAWN_RATE_MAX		32
#define THROTTLE_MS		5000	/* after workers fail at start-up */
#define THROTTLE_AFTER		3	/* consecutive start-up failures */

static volatile sig_atomic_t	got_term, got_hup, got_chld;

static struct board	*board;
static int		 nslots;
static int		 startup_failures;
static long long	 throttle_until;

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

static int
slot_state(int i)
{
	return (__atomic_load_n(&board->b_slots[i].s_state, __ATOMIC_ACQUIRE));
}

static void
count(int *total, int *idle)
{
	int	i, st;

	*total = *idle = 0;
	for (i = 0; i < nslots; i++) {
		if (board->b_slots[i].s_pid == 0)
			continue;
		(*total)++;
		st = slot_state(i);
		if (st == SLOT_IDLE || st == SLOT_STARTING)
			(*idle)++;
	}
}

static int
spawn(const struct config *conf, struct listeners *l, int notify_w)
{
	int	i;
	pid_t	pid;

	for (i = 0; i < nslots; i++)
		if (board->b_slots[i].s_pid == 0)
			break;
	if (i == nslots)
		return (-1);
	board->b_slots[i].s_sessions = 0;
	board->b_slots[i].s_family = 0;
	__atomic_store_n(&board->b_slots[i].s_state, SLOT_STARTING,
	    __ATOMIC_RELEASE);
	switch (pid = fork()) {
	case -1:
		/* Try again at the next tick; never sleep in the master. */
		log_warn("fork");
		__atomic_store_n(&board->b_slots[i].s_state, SLOT_FREE,
		    __ATOMIC_RELEASE);
		return (-1);
	case 0:
		worker_main(conf, l, board, i, notify_w,
		    __atomic_load_n(&board->b_generation, __ATOMIC_ACQUIRE));
		/* NOTREACHED */
	default:
		board->b_slots[i].s_pid = pid;
		return (0);
	}
}

static void
reap(void)
{
	int	st, i, was;
	pid_t	pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < nslots; i++)
			if (board->b_slots[i].s_pid == pid)
				break;
		if (i == nslots)
			continue;
		was = slot_state(i);
		if (WIFSIGNALED(st))
			log_warnx("worker %ld killed by signal %d", (long)pid,
			    WTERMSIG(st));
		else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
			log_warnx("worker %ld exited with status %d",
			    (long)pid, WEXITSTATUS(st));
		else
			log_debug("worker %ld exited", (long)pid);
		if (was == SLOT_STARTING && WIFEXITED(st) &&
		    WEXITSTATUS(st) != 0) {
			if (++startup_failures >= THROTTLE_AFTER &&
			    throttle_until == 0) {
				log_warnx("worker startup failing -- "
				    "throttling for %d s", THROTTLE_MS / 1000);
				throttle_until = util_now_ms() + THROTTLE_MS;
			}
		} else if (was != SLOT_STARTING)
			startup_failures = 0;
		board->b_slots[i].s_pid = 0;
		board->b_slots[i].s_family = 0;
		__atomic_store_n(&board->b_slots[i].s_state, SLOT_FREE,
		    __ATOMIC_RELEASE);
	}
}

static void
maintain(const struct config *conf, struct listeners *l, int notify_w)
{
	int	total, idle, max, n;

	if (throttle_until != 0) {
		if (util_now_ms() < throttle_until)
			return;
		throttle_until = 0;
		startup_failures = 0;
	}
	max = conf->c_max_clients + 1;
	count(&total, &idle);
	/*
	 * Wake-ups are event driven (a worker took a client, one died), so
	 * spawn what is missing at once, a bounded number per wake-up.
	 */
	for (n = 0; n < SPAWN_RATE_MAX && idle < conf->c_workers &&
	    total < max; n++) {
		if (spawn(conf, l, notify_w) == -1)
			break;
		idle++;
		total++;
	}
	/* Retire one surplus idle worker per tick. */
	if (idle > 2 * conf->c_workers) {
		int i;

		for (i = 0; i < nslots; i++)
			if (board->b_slots[i].s_pid != 0 &&
			    slot_state(i) == SLOT_IDLE) {
				kill(board->b_slots[i].s_pid, SIGUSR1);
				break;
			}
	}
}

static void
signal_all(int sig)
{
	int	i;

	for (i = 0; i < nslots; i++)
		if (board->b_slots[i].s_pid != 0)
			kill(board->b_slots[i].s_pid, sig);
}

static int
effective_port(const struct config *c, int portopt)
{
	return (portopt >= 0 ? portopt : c->c_port);
}

static void
reload(struct config **confp, const char *path, int portopt)
{
	struct config	*old = *confp, *nc;
	char		 err[ARGO_ERR_LEN];
	size_t		 i;
	int		 same_listen;

	if (config_load(path, &nc, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s", err);
		return;
	}
	same_listen = nc->c_nlisten == old->c_nlisten;
	for (i = 0; same_listen && i < nc->c_nlisten; i++)
		same_listen = strcmp(nc->c_listen[i], old->c_listen[i]) == 0;
	if (!same_listen || effective_port(nc, portopt) !=
	    effective_port(old, portopt) || strcmp(nc->c_pidfile,
	    old->c_pidfile) != 0) {
		log_warnx("reload: listen, port and pidfile changes need a "
		    "restart; keeping the bound sockets");
		/* Keep what the running master actually uses. */
		for (i = 0; i < nc->c_nlisten; i++)
			free(nc->c_listen[i]);
		for (i = 0; i < old->c_nlisten; i++)
			nc->c_listen[i] = util_xstrdup(old->c_listen[i]);
		nc->c_nlisten = old->c_nlisten;
		nc->c_port = old->c_port;
		free(nc->c_pidfile);
		nc->c_pidfile = util_xstrdup(old->c_pidfile);
	}
	*confp = nc;
	config_free(old);
	__atomic_add_fetch(&board->b_generation, 1, __ATOMIC_ACQ_REL);
	/* Idle workers exit now, busy ones after their session. */
	signal_all(SIGUSR1);
	log_info("reload: %s loaded", path);
}

/*
 * Shared "said once" filter for messages every worker would repeat.  A key
 * may sit in any of BOARD_LOGPROBE slots from its hash: with one slot per
 * hash, two of a few dozen skipped files often shared it and pushed each
 * other out, so both were logged again at every scan.  Only a full
 * neighbourhood evicts (the evicted message is then said once more).
 */
static int
log_once(uint64_t key)
{
	size_t		 i, base = (size_t)(key % BOARD_LOGKEYS);
	uint64_t	*slotp, old;

	if (key == 0)
		key = 1;		/* 0 marks a free slot */
	for (i = 0; i < BOARD_LOGPROBE; i++) {
		slotp = &board->b_logkeys[(base + i) % BOARD_LOGKEYS];
		old = __atomic_load_n(slotp, __ATOMIC_ACQUIRE);
		if (old == key)
			return (0);
		if (old != 0)
			continue;
		if (__atomic_compare_exchange_n(slotp, &old, key, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return (1);
		if (old == key)		/* another worker said it just now */
			return (0);
	}
	slotp = &board->b_logkeys[(base + (size_t)(key >> 32) %
	    BOARD_LOGPROBE) % BOARD_LOGKEYS];
	__atomic_store_n(slotp, key, __ATOMIC_RELEASE);
	return (1);
}

int
prefork_run(struct config **confp, const char *confpath, int portopt,
    struct listeners *l)
{
	struct sigaction	 sa;
	sigset_t		 block, empty;
	struct pollfd		 pfd;
	struct timespec		 tick = { 1, 0 };
	long long		 stop_at = 0;
	int			 notify[2], total, idle, i;
	char			 buf[64];
	size_t			 j;

	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED)
		fatal("mmap");
	memset(board, 0, sizeof(*board));
	nslots = ARGO_HARD_MAX_CLIENTS + 1;
	instances_set_logfilter(log_once);
	if (pipe2(notify, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe");

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

	maintain(*confp, l, notify[1]);
	{
		char	line[CONFIG_MAX_LISTEN * 72 + 64];
		size_t	off = 0;

		for (j = 0; j < l->l_n; j++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    " listen=%s", l->l_name[j]);
		log_info("ready%s workers=%d", line, (*confp)->c_workers);
	}
	daemon_ready();

	pfd.fd = notify[0];
	pfd.events = POLLIN;
	for (;;) {
		if (ppoll(&pfd, 1, &tick, &empty) > 0)
			while (read(notify[0], buf, sizeof(buf)) > 0)
				;
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		if (got_term && stop_at == 0) {
			log_info("stopping");
			listener_close(l);
			signal_all(SIGTERM);
			stop_at = util_now_ms();
		}
		if (stop_at != 0) {
			count(&total, &idle);
			if (total == 0)
				break;
			if (util_now_ms() - stop_at > ARGO_STOP_GRACE * 1000L) {
				signal_all(SIGKILL);
				tick.tv_sec = 0;
				tick.tv_nsec = 100 * 1000 * 1000;
			} else {
				/* Poll faster while waiting for the last ones. */
				tick.tv_sec = 0;
				tick.tv_nsec = 100 * 1000 * 1000;
			}
			continue;
		}
		if (got_hup) {
			got_hup = 0;
			reload(confp, confpath, portopt);
			instances_reset();
		}
		maintain(*confp, l, notify[1]);
	}
	for (i = 0; i < nslots; i++)
		board->b_slots[i].s_pid = 0;
	pidfile_remove((*confp)->c_pidfile);
	log_info("stopped");
	return (0);
}
