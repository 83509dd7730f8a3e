/*
 * xutil.c: helpers of the argo client.  Nothing here knows the protocol
 * except the two byte classes at the end.
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

char *
argo_auth_line(const char *user, const char *pass, size_t *len)
{
	size_t	n = 5 + strlen(user) + 1 + strlen(pass) + 1;
	char	*line = xmalloc(n + 1);

	(void)snprintf(line, n + 1, "auth %s %s\n", user, pass);
	*len = n;
	return (line);
}
