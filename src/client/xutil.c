/*
 * xutil.c: helpers of the argo client.  Nothing here knows the protocol
 * except the two byte classes and the filter of server text at the end.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "argo.h"
#include "tty.h"
#include "xutil.h"

static void
vwarn(const char *fmt, va_list ap)
{
	char	buf[1024];

	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	/* Whatever stdout holds goes first, so 2>&1 keeps the order. */
	(void)fflush(stdout);
	(void)fprintf(stderr, "argo: %s\n", buf);
}

void
xdie(int status, const char *fmt, ...)
{
	va_list	ap;

	tty_restore();
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(status);
}

void
xwarn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void *
xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		xdie(ARGO_EXIT_OSERR, "out of memory");
	return (p);
}

void *
xrealloc(void *p, size_t n)
{
	void	*q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		xdie(ARGO_EXIT_OSERR, "out of memory");
	return (q);
}

char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		xdie(ARGO_EXIT_OSERR, "out of memory");
	return (p);
}

long long
xnow_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
xwrite_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

void
xfree_secret(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

int
argo_is_blank(int c)
{
	return (c == ' ' || c == '\t');
}

int
argo_is_ctl(int c)
{
	/* What the server calls BAD REQUEST: TAB is a blank, not a control. */
	return ((c >= 0 && c < 0x20 && c != '\t') || c == 0x7f);
}

/*
 * The length of the valid UTF-8 sequence that starts at p (n bytes left),
 * its code point in *cp; 0 when none does (a stray continuation byte, an
 * overlong form, a surrogate, a cut sequence, a byte no UTF-8 holds).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, unsigned long *cp)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		*cp = p[0] & 0x1fUL;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		*cp = p[0] & 0x0fUL;
		if (p[0] == 0xe0)
			lo = 0xa0;	/* not overlong */
		else if (p[0] == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		*cp = p[0] & 0x07UL;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;	/* up to U+10FFFF */
	} else
		return (0);
	if (n < len)
		return (0);
	for (i = 1; i < len; i++) {
		if (p[i] < lo || p[i] > hi)
			return (0);
		*cp = (*cp << 6) | (p[i] & 0x3fUL);
		lo = 0x80;
		hi = 0xbf;
	}
	return (len);
}

/* Characters that drive a terminal or reorder what is around them. */
static int
unsafe_cp(unsigned long cp)
{
	return ((cp >= 0x80 && cp <= 0x9f) ||		/* C1 controls */
	    (cp >= 0x202a && cp <= 0x202e) ||		/* bidi embeddings */
	    (cp >= 0x2066 && cp <= 0x2069));		/* bidi isolates */
}

size_t
argo_safe_text(char *dst, const char *src, size_t len)
{
	const unsigned char	*s = (const unsigned char *)src;
	unsigned long		 cp;
	size_t			 i = 0, o = 0, n;
	int			 bad;

	while (i < len) {
		if (s[i] < 0x80) {
			n = 1;
			bad = argo_is_ctl(s[i]);
		} else if ((n = utf8_seq(s + i, len - i, &cp)) == 0) {
			/* Raw C1 is a control to an 8-bit terminal; other
			 * stray bytes are only shown wrong. */
			n = 1;
			bad = s[i] <= 0x9f;
		} else
			bad = unsafe_cp(cp);
		if (bad) {
			dst[o++] = '?';		/* one for the whole character */
			i += n;
			continue;
		}
		/* Forward, o <= i: a copy in place is safe. */
		while (n-- > 0)
			dst[o++] = src[i++];
	}
	return (o);
}

char *
argo_auth_line(const char *user, const char *pass, size_t *len)
{
	size_t	n = 5 + strlen(user) + 1 + strlen(pass) + 1;
	char	*line = xmalloc(n + 1);

	(void)snprintf(line, n + 1, "auth %s %s\n", user, pass);
	*len = n;
	return (line);
}
