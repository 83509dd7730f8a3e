/*
 * wstop.h: the worker's stop flag, on its own so that every wait can read
 * it without depending on the process loop that sets it (worker.c).
 */
#ifndef ARGO_WSTOP_H
#define ARGO_WSTOP_H

#include <signal.h>

/* Set by the worker's signal handlers (and when the broker is gone); read
 * by the session's waits. */
extern volatile sig_atomic_t	worker_stop;

#endif
