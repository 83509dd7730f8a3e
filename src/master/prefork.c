/*
 * prefork.c: the master's pool of workers.  Runs in the master (root when
 * started as root): it forks, counts, reaps and retires workers and never
 * reads from a client.
 *
 * Each worker is a fresh argo-worker (spawn.c), born with its own
 * SOCK_SEQPACKET channel to the broker:
 * the master makes the socketpair, keeps neither end, and hands the
 * broker its end with the worker's slot, pid and configuration generation
 * (the broker trusts the master's word on who is on the other side, never
 * the worker's).
 *
 * Pool size: `workers` idle ones are kept ready, up to max_clients + 1
 * processes in all.  The one beyond max_clients exists so that a client
 * over the limit is told "400 SERVER BUSY" instead of waiting unanswered in
 * the listen backlog.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "prefork.h"
#include "privmsg.h"
#include "sandbox_prep.h"
#include "spawn.h"
#include "util.h"

#define SPAWN_RATE_MAX		32
#define THROTTLE_MS		5000	/* after workers fail at start-up */
#define THROTTLE_AFTER		3	/* consecutive start-up failures */

static int		 startup_failures;
static long long	 throttle_until;

static int
slot_state(const struct master *m, int i)
{
	return (__atomic_load_n(&m->m_board->b_slots[i].s_state,
	    __ATOMIC_ACQUIRE));
}

void
pool_count(const struct master *m, int *total, int *idle)
{
	int	i, st;

	*total = *idle = 0;
	for (i = 0; i < m->m_nslots; i++) {
		if (m->m_workers[i].w_pid == 0)
			continue;
		(*total)++;
		st = slot_state(m, i);
		if (st == SLOT_IDLE || st == SLOT_STARTING)
			(*idle)++;
	}
}

/* Tell the broker who is on the other end of ch. */
static int
introduce(struct master *m, int slot, pid_t pid, int ch)
{
	struct priv_ctl	c;

	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_WORKER;
	c.c_slot = slot;
	c.c_pid = pid;
	c.c_generation = m->m_generation;
	return (privmsg_send(m->m_ctl, &c, sizeof(c), ch, 0));
}

static int
spawn(struct master *m)
{
	struct spawn_fds	 fds;
	struct slot		*s;
	int			 i, sv[2];
	pid_t			 pid;

	for (i = 0; i < m->m_nslots; i++)
		if (m->m_workers[i].w_pid == 0)
			break;
	if (i == m->m_nslots)
		return (-1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return (-1);
	}
	s = &m->m_board->b_slots[i];
	if (i >= m->m_board->b_hiwater)
		__atomic_store_n(&m->m_board->b_hiwater, i + 1,
		    __ATOMIC_RELEASE);
	s->s_sessions = 0;
	s->s_family = 0;
	s->s_sigsys = -1;
	m->m_workers[i].w_stopped = 0;
	__atomic_store_n(&s->s_state, SLOT_STARTING, __ATOMIC_RELEASE);
	fds.sf_board = m->m_boardfd;
	fds.sf_broker = sv[0];
	fds.sf_notify = m->m_notify[1];
	fds.sf_relay = m->m_relay[1];
	fds.sf_stop = m->m_stop[0];
	pid = spawn_worker(i, &fds);
	switch (pid) {
	case -1:
		close(sv[0]);
		close(sv[1]);
		__atomic_store_n(&s->s_state, SLOT_FREE, __ATOMIC_RELEASE);
		return (-1);
	default:
		close(sv[0]);
		m->m_workers[i].w_pid = pid;
		s->s_pid = pid;
		if (introduce(m, i, pid, sv[1]) == -1) {
			log_warn("cannot introduce worker %ld to the broker",
			    (long)pid);
			(void)kill(pid, SIGKILL);
		}
		close(sv[1]);
		return (0);
	}
}

static void
log_exit(const struct master *m, int i, pid_t pid, int st)
{
	const char	*name;
	/* The worker's own word, written by its SIGSYS handler: a number. */
	int		 nr = __atomic_load_n(&m->m_board->b_slots[i].s_sigsys,
			    __ATOMIC_ACQUIRE);

	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && nr >= 0) {
		name = sandbox_syscall_name(nr);
		log_warnx("worker %ld killed by signal %d: its seccomp filter "
		    "stopped system call %d%s%s%s", (long)pid, WTERMSIG(st),
		    nr, name ? " (" : "", name ? name : "",
		    name ? ")" : "");
	} else if (WIFSIGNALED(st) && m->m_workers[i].w_stopped)
		log_warnx("worker %ld killed by signal %d at the broker's "
		    "request", (long)pid, WTERMSIG(st));
	else if (WIFSIGNALED(st))
		log_warnx("worker %ld killed by signal %d", (long)pid,
		    WTERMSIG(st));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == SPAWN_EXEC_FAILED)
		log_warnx("worker %ld could not be started: cannot execute %s "
		    "as the workers' account", (long)pid, spawn_path());
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		log_warnx("worker %ld exited with status %d", (long)pid,
		    WEXITSTATUS(st));
	else
		log_debug("worker %ld exited", (long)pid);
}

void
pool_reap(struct master *m)
{
	struct slot	*s;
	int		 st, i, was;
	pid_t		 pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == m->m_broker) {
			m->m_broker = 0;
			m->m_broker_status = st;
			continue;
		}
		for (i = 0; i < m->m_nslots; i++)
			if (m->m_workers[i].w_pid == pid)
				break;
		if (i == m->m_nslots)
			continue;
		s = &m->m_board->b_slots[i];
		was = slot_state(m, i);
		log_exit(m, i, pid, st);
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
		m->m_workers[i].w_pid = 0;
		s->s_pid = 0;
		s->s_family = 0;
		__atomic_store_n(&s->s_state, SLOT_FREE, __ATOMIC_RELEASE);
	}
}

int
pool_stop(struct master *m, int slot, pid_t pid)
{
	/* Reaping is ours: while the slot holds pid, pid is that worker. */
	if (slot < 0 || slot >= m->m_nslots || pid <= 0 ||
	    m->m_workers[slot].w_pid != pid)
		return (-1);
	m->m_workers[slot].w_stopped = 1;
	return (kill(pid, SIGKILL));
}

void
pool_maintain(struct master *m)
{
	const struct config	*conf = *m->m_confp;
	int			 total, idle, max, n, i;

	if (throttle_until != 0) {
		if (util_now_ms() < throttle_until)
			return;
		throttle_until = 0;
		startup_failures = 0;
	}
	max = conf->c_max_clients + 1;
	pool_count(m, &total, &idle);
	/*
	 * Wake-ups are event driven (a worker took a client, one died), so
	 * spawn what is missing at once, a bounded number per wake-up.
	 */
	for (n = 0; n < SPAWN_RATE_MAX && idle < conf->c_workers &&
	    total < max; n++) {
		if (spawn(m) == -1)
			break;
		idle++;
		total++;
	}
	/* Retire one surplus idle worker per tick. */
	if (idle > 2 * conf->c_workers) {
		for (i = 0; i < m->m_nslots; i++)
			if (m->m_workers[i].w_pid != 0 &&
			    slot_state(m, i) == SLOT_IDLE) {
				(void)kill(m->m_workers[i].w_pid, SIGUSR1);
				break;
			}
	}
}

void
pool_signal(const struct master *m, int sig)
{
	int	i;

	/* Our children only: a pid from the board could be anyone's. */
	for (i = 0; i < m->m_nslots; i++)
		if (m->m_workers[i].w_pid > 0)
			(void)kill(m->m_workers[i].w_pid, sig);
}
