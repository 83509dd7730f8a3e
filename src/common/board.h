/*
 * board.h: the scoreboard the master shares with its workers: a memfd
 * the master makes and maps before the first worker, sealed against
 * shrinking or growing (a worker that truncated it would fault the
 * master), and handed to each argo-worker (handoff.h), which maps it.
 */
#ifndef ARGO_BOARD_H
#define ARGO_BOARD_H

#include <sys/types.h>

#include "defs.h"

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

#endif
