/*
 * worker.c: a preforked worker's loop.  Runs unprivileged: it enters its
 * cage (sandbox.h) before it looks at the listening sockets.
 *
 * SIGTERM (stop), SIGUSR1 (retire when idle) and SIGURG (look at the
 * listeners, listener.c says why) stay blocked except inside ppoll(), so a
 * signal can never fall between accept() and the session, and never
 * interrupts a request or a toolstack run.  Admission, before a single
 * byte is read, is worker_admit.c's.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "worker.h"
#include "worker_ask.h"

#define STOP_EVENT	UINT32_MAX	/* not a listener's index */

static volatile sig_atomic_t worker_retire, worker_look;

static void
on_signal(int sig)
{
	if (sig == SIGTERM)
		worker_stop = 1;
	else if (sig == SIGUSR1)
		worker_retire = 1;
	else if (sig == SIGURG)
		worker_look = 1;
}

static void
set_state(struct board *b, int slot, int st)
{
	__atomic_store_n(&b->b_slots[slot].s_state, st, __ATOMIC_RELEASE);
}

/*
 * epoll_pwait() that finds a listener ready returns with the old mask
 * restored and a signal sent meanwhile still pending, its handler not run.
 * A worker that had no CPU across a reload or a stop would otherwise
 * accept a session begun after "reload: ... loaded" (on the old
 * configuration) or after "stopping".  So look before accepting: those
 * mean leave at once (the workers of the new generation, or nobody, take
 * the client: the master makes them look when it reaps us).
 */
static int
must_stop(const struct board *b, int generation, int look)
{
	sigset_t	pending;

	if (worker_stop ||
	    __atomic_load_n(&b->b_generation, __ATOMIC_ACQUIRE) != generation)
		return (1);
	return (look && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGTERM) == 1);
}

/*
 * Retiring (a surplus idle worker, or one that served its share) waits
 * for the session at hand: only one idle worker is woken per connection
 * (EPOLLEXCLUSIVE), so one that left without accepting would leave the
 * client to the master's look after our exit (listener.c), slower.  No
 * need to look at pending signals here: the wait that follows lets them in.
 */
static int
must_leave(const struct board *b, int slot, int generation)
{
	return (must_stop(b, generation, 0) || worker_retire ||
	    b->b_slots[slot].s_sessions >= ARGO_MAX_SESSIONS_PER_WORKER);
}

/*
 * The master spawns spares when the pool runs thin; it looks at the
 * scoreboard every second anyway, so it is woken only when half the
 * spares are in use: a message per session would cost it a wake-up each.
 */
static void
tell_master(const struct board *b, const struct config *c, int notify_fd)
{
	int	i, idle = 0;

	for (i = 0; i < worker_hiwater(b); i++)
		if (b->b_slots[i].s_pid != 0 && __atomic_load_n(
		    &b->b_slots[i].s_state, __ATOMIC_ACQUIRE) == SLOT_IDLE)
			idle++;
	if (idle > c->c_workers / 2)
		return;
	if (write(notify_fd, "b", 1) == -1) {
		/* Full pipe: the master is already awake. */
	}
}

/* Everything that must hold before the first accept(). */
static void
enter(const struct worker_env *env)
{
	struct rlimit	rl = { 0, 0 };
	char		err[ARGO_ERR_LEN];

	/* No core file with a client's password in it. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	if (sandbox_enter(env->we_ids, &env->we_board->b_slots[env->we_slot].
	    s_sigsys, err, sizeof(err)) == -1) {
		log_warnx("worker: %s", err);
		_exit(1);
	}
	if (getppid() != env->we_master)
		_exit(1);		/* the master died meanwhile */
	ask_init(env->we_broker);
}

void
worker_main(const struct config *conf, const struct worker_env *env)
{
	struct sigaction	 sa;
	sigset_t		 waitmask;
	struct epoll_event	 ev[HANDOFF_MAX_LISTEN + 1];
	struct sockaddr_storage	 ss;
	struct board		*b = env->we_board;
	socklen_t		 sslen;
	size_t			 i;
	int			 fd, n, k, ep, slot = env->we_slot;
	int			 leaving, looking, lastlook = 0;
	int			 generation = env->we_generation;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGURG, &sa, NULL);	/* ignored by default till here */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);	/* the master's business */
	sigaction(SIGPIPE, &sa, NULL);
	/* Inherited mask blocks TERM, INT, HUP, CHLD, USR1; keep TERM, USR1,
	 * add URG. */
	sigemptyset(&waitmask);
	{
		sigset_t m;

		sigemptyset(&m);
		sigaddset(&m, SIGTERM);
		sigaddset(&m, SIGUSR1);
		sigaddset(&m, SIGURG);
		sigprocmask(SIG_SETMASK, &m, NULL);
	}
	/*
	 * One epoll instance per worker, every listener EPOLLEXCLUSIVE: a
	 * connection wakes one idle worker, not all of them.  Made and
	 * filled before the filter, which allows epoll_pwait but neither
	 * epoll_create1 nor epoll_ctl.
	 */
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < env->we_nlisten; i++) {
		memset(&ev[0], 0, sizeof(ev[0]));
		ev[0].events = EPOLLIN | EPOLLEXCLUSIVE;
		ev[0].data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, env->we_listen[i], &ev[0]) ==
		    -1)
			fatal("epoll_ctl");
	}
	/* The master's stop, as the stop pipe's end of file (handoff.h). */
	memset(&ev[0], 0, sizeof(ev[0]));
	ev[0].events = EPOLLIN;
	ev[0].data.u32 = STOP_EVENT;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, env->we_stop, &ev[0]) == -1)
		fatal("epoll_ctl");
	enter(env);

	for (;;) {
		if (must_stop(b, generation, 0))
			_exit(0);
		/*
		 * Retiring: one last look, without waiting, and serve the
		 * client we may have been woken for; then go.
		 */
		if ((leaving = must_leave(b, slot, generation)) && lastlook)
			_exit(0);
		set_state(b, slot, SLOT_IDLE);
		/*
		 * Told to look (SIGURG: a worker woken for a client died or
		 * left without it, listener.c says why this is enough): try
		 * every listener without waiting, again after each client
		 * got, until all say EAGAIN.  A leaving worker leaves that to
		 * the others: its own exit makes the master ask again.
		 */
		if ((looking = worker_look && !leaving)) {
			worker_look = 0;
			for (k = 0; k < (int)env->we_nlisten; k++)
				ev[k].data.u32 = (uint32_t)k;
			n = (int)env->we_nlisten;
		} else {
			n = epoll_pwait(ep, ev, (int)env->we_nlisten + 1,
			    leaving ? 0 : -1,
			    leaving ? NULL : &waitmask);
			lastlook = leaving;
		}
		if (n == -1) {
			if (errno != EINTR)
				log_warn("epoll_pwait");
			continue;
		}
		for (k = 0; k < n; k++)
			if (ev[k].data.u32 == STOP_EVENT)
				worker_stop = 1;
		if (must_stop(b, generation, 1))
			_exit(0);
		for (k = 0; k < n; k++) {
			i = ev[k].data.u32;
			if (i >= env->we_nlisten)
				continue;
			sslen = sizeof(ss);
			fd = accept4(env->we_listen[i], (struct sockaddr *)&ss,
			    &sslen,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (looking && (fd != -1 || errno != EAGAIN))
				worker_look = 1;	/* not all empty yet */
			if (fd == -1) {
				if (errno == EMFILE || errno == ENFILE) {
					log_warn("accept");
					usleep(100 * 1000);
				}
				continue;	/* another worker won it */
			}
			set_state(b, slot, SLOT_BUSY);
			tell_master(b, conf, env->we_notify);
			worker_serve(conf, b, slot, fd, &ss, sslen,
			    env->we_unix[i]);
			close(fd);
			b->b_slots[slot].s_sessions++;
			break;
		}
	}
}
