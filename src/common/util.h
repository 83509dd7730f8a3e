/*
 * util.h: small helpers the C library lacks or gets wrong.
 */
#ifndef ARGO_UTIL_H
#define ARGO_UTIL_H

#include <stddef.h>
#include <sys/socket.h>

#include "strutil.h"

/* Numeric host of a sockaddr, v4-mapped v6 shown as v4. */
void	 util_addrstr(const struct sockaddr *sa, socklen_t len, char *buf,
	    size_t buflen);
/* Close every descriptor from 3 up except those in keep (at most 32). */
void	 util_closefrom_except(const int *keep, size_t n);
/*
 * Zero 32 KiB of stack below the caller: called right after parsing the
 * configuration, at the parser's depth, so that what inih and libxcrypt
 * left there (password hashes) is not inherited by a worker.
 */
void	 util_scrub_stack(void);
/* Milliseconds on the monotonic clock. */
long long util_now_ms(void);
void	*util_xmalloc(size_t n);
void	*util_xcalloc(size_t n, size_t sz);
char	*util_xstrdup(const char *s);

#endif
