/*
 * worker.h: a preforked worker: accept, admit, serve one session at a time.
 * The only kind of process that reads from clients; it runs sandboxed
 * (sandbox.c) and asks the broker for everything privileged.
 */
#ifndef ARGO_WORKER_H
#define ARGO_WORKER_H

#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"
#include "listener.h"
#include "prefork.h"
#include "sandbox.h"
#include "wstop.h"		/* worker_stop, which worker.c sets */

/* What the master hands a new worker. */
struct worker_env {
	struct listeners	*we_l;
	struct board		*we_board;
	int			 we_slot;
	int			 we_notify;	/* to the master: took a client */
	int			 we_relay;	/* log lines, when detached */
	int			 we_broker;	/* our channel */
	int			 we_generation;
	const struct sandbox	*we_sb;
	pid_t			 we_master;	/* from before the fork */
};

/* Never returns. */
void	worker_main(struct config *conf, const struct worker_env *env)
	    __attribute__((noreturn));

/* worker_admit.c: the slots a scan of the board looks at. */
int	worker_hiwater(const struct board *b);
/* Admit the client fd accepted on a TCP (local 0) or the UNIX listener,
 * then serve its session; the caller closes fd. */
void	worker_serve(const struct config *c, struct board *b, int slot, int fd,
	    const struct sockaddr_storage *ss, socklen_t sslen, int local);

#endif
