/*
 * job_child.h: a child of the broker for work that may block (a request's
 * job, the watch poll), so that the broker's loop never waits on a
 * toolstack, a password check or a DNS lookup.
 */
#ifndef ARGO_JOB_CHILD_H
#define ARGO_JOB_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* Fill buf (PRIV_REP_MAX bytes) with the reply; return its length. */
typedef size_t	(*job_child_fn)(const void *arg, unsigned char *buf);

/*
 * Fork a child that dies with the broker, runs fn with default signals
 * and an empty mask, writes the reply whole on a pipe and exits.  *rfd is
 * the pipe's read end, non-blocking and close-on-exec.  Returns the
 * child's pid, or -1 with errno (the caller logs, as it knows what for).
 */
pid_t	job_child_start(job_child_fn fn, const void *arg, int *rfd);

#endif
