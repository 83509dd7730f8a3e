/*
 * worker.h: argo-worker, a preforked worker: accept, admit, serve one
 * session at a time.  The only kind of process that reads from clients; a
 * program of its own (main.c reads what the master handed it), it runs
 * sandboxed (sandbox.h) and asks the broker for everything privileged.
 */
#ifndef ARGO_WORKER_H
#define ARGO_WORKER_H

#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "board.h"
#include "config.h"
#include "handoff.h"
#include "sandbox.h"
#include "wstop.h"		/* worker_stop, which worker.c sets */

/* What main.c made of the master's handoff. */
struct worker_env {
	int			 we_listen[HANDOFF_MAX_LISTEN];
	int			 we_unix[HANDOFF_MAX_LISTEN];	/* 1: UNIX */
	size_t			 we_nlisten;
	struct board		*we_board;
	int			 we_slot;
	int			 we_notify;	/* to the master: took a client */
	int			 we_stop;	/* end of file: the master stops */
	int			 we_broker;	/* our channel */
	int			 we_generation;
	const struct sandbox_ids *we_ids;	/* NULL: not started as root */
	pid_t			 we_master;	/* from the master's own word */
};

/* Never returns. */
void	worker_main(const struct config *conf, const struct worker_env *env)
	    __attribute__((noreturn));

/* worker_admit.c: the slots a scan of the board looks at. */
int	worker_hiwater(const struct board *b);
/* Admit the client fd accepted on a TCP (local 0) or the UNIX listener,
 * then serve its session; the caller closes fd. */
void	worker_serve(const struct config *c, struct board *b, int slot, int fd,
	    const struct sockaddr_storage *ss, socklen_t sslen, int local);

#endif
