/*
 * strutil.h: strings and numbers, libc only (the daemon's and the argo
 * client's).
 */
#ifndef ARGO_STRUTIL_H
#define ARGO_STRUTIL_H

#include <stddef.h>

/* strtonum(3)-like: decimal only, whole string, range-checked. 0 or -1. */
int	 util_parse_long(const char *s, long min, long max, long *out);
/* Copy with truncation; always NUL-terminates; returns strlen(src). */
size_t	 util_strlcpy(char *dst, const char *src, size_t size);
/* Constant-time string equality (length leaks, content does not). */
int	 util_streq_ct(const char *a, const char *b);

#endif
