/*
 * prefork.h: the master process, the scoreboard it shares with its
 * workers (an anonymous shared mapping made before the first fork), and
 * the pool of workers it keeps.
 */
#ifndef ARGO_PREFORK_H
#define ARGO_PREFORK_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "listener.h"
#include "sandbox.h"

enum slot_state {
	SLOT_FREE = 0,
	SLOT_STARTING,		/* forked, not yet waiting for clients */
	SLOT_IDLE,		/* waiting in poll() */
	SLOT_BUSY,		/* accepted a connection */
};

struct slot {
	pid_t		 s_pid;		/* master writes, for the workers'
					   counts; the master never reads it */
	int		 s_state;	/* worker writes, atomically */
	unsigned int	 s_sessions;
	int		 s_family;	/* peer of the admitted session (0:
					   none); counted for max_clients */
	unsigned char	 s_addr[16];	/* and max_per_host */
	int		 s_sigsys;	/* the call its filter trapped, or -1 */
};

/*
 * The scoreboard: a shared mapping, writable by every worker, so a
 * compromised worker can write anything into any slot.  What the master
 * may believe of it is a count, no more: how many of its own workers say
 * they are idle (to spawn or retire, within max_clients + 1), and the
 * system call a dying worker says its filter trapped (logged as a number).
 * Which processes exist, which get signalled, whether a stop is complete,
 * and the configuration generation are the master's private knowledge
 * (struct master's m_workers, from fork() and waitpid(), and
 * m_generation), never read back from here.  The workers read the board to
 * count sessions for max_clients and max_per_host, and each clamps what it
 * reads.
 */
struct board {
	int		 b_generation;	/* bumped by each good reload */
	int		 b_hiwater;	/* slots ever used: workers scan these */
	long long	 b_busy_logged;	/* ms of the last "busy" line */
	int		 b_busy_quiet;	/* suppressed since then */
	long long	 b_deny_logged;
	int		 b_deny_quiet;
	struct slot	 b_slots[ARGO_HARD_MAX_CLIENTS + 1];
};

/* What the master alone knows of a worker: private memory, from fork(). */
struct wproc {
	pid_t		 w_pid;		/* 0: none; only ever a child of ours */
	int		 w_stopped;	/* killed at the broker's word */
};

/* The master's state, shared by master.c (the loop) and prefork.c (the
 * pool). */
struct master {
	struct config	**m_confp;
	const char	 *m_confpath;
	int		  m_portopt;
	int		  m_foreground;
	struct listeners *m_l;
	struct board	 *m_board;	/* the workers': counts only */
	struct wproc	  m_workers[ARGO_HARD_MAX_CLIENTS + 1];	/* by slot */
	int		  m_nslots;
	int		  m_generation;	/* of the configuration in force */
	int		  m_notify[2];	/* workers -> master: took a client */
	int		  m_relay[2];	/* workers' log lines, when detached */
	int		  m_ctl;	/* the broker's control socket */
	pid_t		  m_broker;	/* 0 once it is gone */
	int		  m_broker_status;
	struct sandbox	  m_sb;		/* the cage of new workers */
};

/* Runs the master until SIGTERM/SIGINT; returns the exit status. */
int	prefork_run(struct config **confp, const char *confpath, int portopt,
	    int foreground, const struct sandbox *sb, struct listeners *l);

/* prefork.c: the pool. */
void	pool_count(const struct master *m, int *total, int *idle);
void	pool_maintain(struct master *m);
void	pool_reap(struct master *m);
void	pool_signal(const struct master *m, int sig);
/* Stop worker pid in slot (the broker asked): 0, or -1 if it is gone. */
int	pool_stop(struct master *m, int slot, pid_t pid);

#endif
