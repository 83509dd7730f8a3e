/*
 * xutil.h: the client's small helpers.  Allocation failure ends the
 * program (there is nothing sensible left to do for a command-line tool),
 * with the terminal restored first.
 */
#ifndef ARGO_XUTIL_H
#define ARGO_XUTIL_H

#include <stddef.h>

#include "strutil.h"	/* util_strlcpy, util_parse_long: the daemon's own */

/* "argo: MESSAGE" on stderr, the terminal restored, exit STATUS. */
void	 xdie(int status, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/* "argo: MESSAGE" on stderr. */
void	 xwarn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	*xmalloc(size_t n);
void	*xrealloc(void *p, size_t n);
char	*xstrdup(const char *s);
/* Milliseconds on the monotonic clock. */
long long xnow_ms(void);
/* Every byte to a blocking descriptor (EINTR retried): 0, else -1. */
int	 xwrite_all(int fd, const void *buf, size_t len);
/* Wipe, then free (a buffer that held a password). */
void	 xfree_secret(void *p, size_t len);

#endif
