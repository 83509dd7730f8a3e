/*
 * out.h: what a run prints.  With one host, body lines go to stdout as
 * they come; with several, each is prefixed "HOST: " and a host's reply
 * is printed whole once it is over (in host order with -o, the first
 * unfinished host then printing as it comes).  Errors go to stderr as
 * "HOST: message", after that host's body.
 */
#ifndef ARGO_OUT_H
#define ARGO_OUT_H

#include <stddef.h>

#include "argo.h"

void	out_init(const struct host *hosts, size_t n, int ordered);
/* A body line of host i (no line end): 0, or -1 if i holds too much. */
int	out_body(size_t i, const char *line, size_t len);
/* Host i's error, printed as "HOST: message" (one per host). */
void	out_error(size_t i, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Host i is finished. */
void	out_done(size_t i);
/* Flush stdout and let go: 0, or -1 if stdout failed. */
int	out_finish(void);

#endif
