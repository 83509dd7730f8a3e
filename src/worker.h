/*
 * worker.h: a preforked worker: accept, admit, serve one session at a time.
 */
#ifndef ARGO_WORKER_H
#define ARGO_WORKER_H

#include "config.h"
#include "listener.h"
#include "prefork.h"

/* Never returns. */
void	worker_main(const struct config *conf, struct listeners *l,
	    struct board *board, int slot, int notify_fd, int generation)
	    __attribute__((noreturn));

/* Set by the worker's signal handlers; read by the session's waits. */
extern volatile sig_atomic_t	worker_stop;

#endif
