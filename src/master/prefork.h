/*
 * prefork.h: the master process and the pool of workers it keeps (the
 * scoreboard it shares with them is board.h).
 */
#ifndef ARGO_PREFORK_H
#define ARGO_PREFORK_H

#include <stdint.h>
#include <sys/types.h>

#include "board.h"
#include "config.h"
#include "listener.h"
#include "sandbox_prep.h"

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
	int		  m_boardfd;	/* its memfd, handed to each worker */
	struct wproc	  m_workers[ARGO_HARD_MAX_CLIENTS + 1];	/* by slot */
	int		  m_nslots;
	int		  m_generation;	/* of the configuration in force */
	int		  m_notify[2];	/* workers -> master: took a client */
	int		  m_relay[2];	/* workers' log lines, when detached */
	int		  m_stop[2];	/* closed at stop: workers see EOF */
	int		  m_ctl;	/* the broker's control socket */
	pid_t		  m_broker;	/* 0 once it is gone */
	int		  m_broker_status;
	struct sandbox	  m_sb;		/* the cage of new workers */
};

/* Runs the master until SIGTERM/SIGINT; returns the exit status. */
int	prefork_run(struct config **confp, const char *confpath, int portopt,
	    int foreground, const struct sandbox *sb, struct listeners *l);

/* master_broker.c: the broker's life, seen from the master. */
void	master_start_broker(struct master *m);
/* Hand the broker the configuration file's bytes for generation. */
int	master_hand_over(struct master *m, const char *buf, size_t len,
	    int generation);
void	master_ctl_read(struct master *m);	/* the broker's requests */
void	master_stop_broker(struct master *m);	/* told, then made to go */
void	master_reap_broker(struct master *m);	/* its socket closed */
void	master_broker_died(const struct master *m);	/* logs how */

/* prefork.c: the pool. */
void	pool_count(const struct master *m, int *total, int *idle);
void	pool_maintain(struct master *m);
void	pool_reap(struct master *m);
void	pool_signal(const struct master *m, int sig);
/* Stop worker pid in slot (the broker asked): 0, or -1 if it is gone. */
int	pool_stop(struct master *m, int slot, pid_t pid);

#endif
