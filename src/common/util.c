/*
 * util.c: helpers shared by every module.  Allocation failure is fatal:
 * a worker that cannot allocate a few bytes is replaced by the master.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "log.h"
#include "util.h"

void
util_addrstr(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t buflen)
{
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			if (inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], buf,
			    (socklen_t)buflen) == NULL)
				util_strlcpy(buf, "?", buflen);
			return;
		}
	}
	/*
	 * Not getnameinfo(): for a scoped IPv6 address it looks the
	 * interface up with a socket, which a worker's filter forbids.
	 */
	(void)len;
	if (sa->sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, buf, (socklen_t)buflen) ==
		    NULL)
			util_strlcpy(buf, "?", buflen);
		return;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)(const void *)sa;
		size_t	n;

		if (inet_ntop(AF_INET6, &s6->sin6_addr, buf,
		    (socklen_t)buflen) == NULL) {
			util_strlcpy(buf, "?", buflen);
			return;
		}
		n = strlen(buf);
		if (s6->sin6_scope_id != 0 && n < buflen)
			(void)snprintf(buf + n, buflen - n, "%%%u",
			    (unsigned int)s6->sin6_scope_id);
		return;
	}
	util_strlcpy(buf, "?", buflen);
}

/* close_range(), or one by one where it is missing (valgrind < 3.17). */
static void
close_span(unsigned int lo, unsigned int hi)
{
	long	max;

	if (close_range(lo, hi, 0) == 0 || errno != ENOSYS)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (; lo <= hi && lo < (unsigned int)max; lo++)
		(void)close((int)lo);
}

void
util_closefrom_except(const int *keep, size_t n)
{
	int	k[32], i, j, nk = 0, lo = 3, tmp;

	/* The kept ones, sorted, above 2 (at most 32 of them). */
	for (i = 0; i < (int)n && nk < 32; i++)
		if (keep[i] > 2)
			k[nk++] = keep[i];
	for (i = 1; i < nk; i++)
		for (j = i; j > 0 && k[j - 1] > k[j]; j--) {
			tmp = k[j];
			k[j] = k[j - 1];
			k[j - 1] = tmp;
		}
	for (i = 0; i < nk; i++) {
		if (k[i] > lo)
			close_span((unsigned int)lo, (unsigned int)k[i] - 1);
		lo = k[i] + 1;
	}
	close_span((unsigned int)lo, ~0U);
}

long long
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void *
util_xmalloc(size_t n)
{
	void	*p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		fatal("malloc");
	return (p);
}

void *
util_xcalloc(size_t n, size_t sz)
{
	void	*p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		fatal("calloc");
	return (p);
}

char *
util_xstrdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		fatal("strdup");
	return (p);
}

void __attribute__((noinline))
util_scrub_stack(void)
{
	char	buf[32 * 1024];

	explicit_bzero(buf, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}
