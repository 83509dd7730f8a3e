/*
 * strutil.c: strings and numbers, libc only, nothing that logs or exits:
 * the one place the daemon and the argo client share code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0')
		return (-1);
	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' &&
	    s[1] <= '9')))
		return (-1);
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

size_t
util_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	len = strlen(src);

	if (size > 0) {
		size_t	n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}

int
util_streq_ct(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b), i;
	unsigned char	diff = (unsigned char)(la != lb);

	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return (diff == 0);
}
