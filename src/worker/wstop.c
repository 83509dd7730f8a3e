/*
 * wstop.c: the worker's stop flag (wstop.h).  A file of its own, so that
 * the lowest layers (the broker channel, the console relay, the watch)
 * can look at it without calling up into worker.c.
 */
#include "wstop.h"

volatile sig_atomic_t	worker_stop;
