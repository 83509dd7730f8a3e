/*
 * prefork.h: the master process and the scoreboard it shares with its
 * workers (an anonymous shared mapping made before the first fork).
 */
#ifndef ARGO_PREFORK_H
#define ARGO_PREFORK_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "listener.h"

enum slot_state {
	SLOT_FREE = 0,
	SLOT_STARTING,		/* forked, not yet waiting for clients */
	SLOT_IDLE,		/* waiting in poll() */
	SLOT_BUSY,		/* accepted a connection */
};

struct slot {
	pid_t		 s_pid;		/* master writes */
	int		 s_state;	/* worker writes, atomically */
	unsigned int	 s_sessions;
	int		 s_family;	/* peer of the admitted session (0:
					   none); counted for max_clients */
	unsigned char	 s_addr[16];	/* and max_per_host */
};

#define BOARD_LOGKEYS	4096	/* said-once keys, 32 KiB */
#define BOARD_LOGPROBE	8	/* slots a key may take, from its hash */

struct board {
	int		 b_generation;	/* bumped by each good reload */
	long long	 b_busy_logged;	/* ms of the last "busy" line */
	int		 b_busy_quiet;	/* suppressed since then */
	long long	 b_deny_logged;
	int		 b_deny_quiet;
	uint64_t	 b_logkeys[BOARD_LOGKEYS];	/* said once */
	struct slot	 b_slots[ARGO_HARD_MAX_CLIENTS + 1];
};

/* Runs the master until SIGTERM/SIGINT; returns the exit status. */
int	prefork_run(struct config **confp, const char *confpath, int portopt,
	    struct listeners *l);

#endif
