/*
 * resolve.c: the `ip` command's lookup (DESIGN.md section 3; STYLE.md
 * 2.13).  getaddrinfo() for IPv4 and IPv6, numeric output, duplicates
 * dropped, freeaddrinfo() on every path.  A name that does not resolve is
 * not an error: the caller sends an empty body.  The lookup can take as
 * long as the system resolver's timeout; the caller runs it inside the
 * session's own process, so a slow DNS server delays only that session.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <string.h>

#include "resolve.h"

int
resolve_name(const char *name, char (*addrs)[RESOLVE_ADDRLEN], int max)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[NI_MAXHOST];
	size_t		 len;
	int		 n = 0, i, dup;

	if (name == NULL || name[0] == '\0' || addrs == NULL || max <= 0)
		return 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;	/* one entry per address */
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;

	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
		    NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		/*
		 * A link-local IPv6 address with its scope ("fe80::1%eth0")
		 * can exceed INET6_ADDRSTRLEN; skip it rather than truncate
		 * it into a wrong address.
		 */
		len = strlen(host);
		if (len >= RESOLVE_ADDRLEN)
			continue;
		for (dup = 0, i = 0; i < n && !dup; i++)
			dup = strcmp(addrs[i], host) == 0;
		if (dup)
			continue;
		memcpy(addrs[n], host, len + 1);
		n++;
	}
	freeaddrinfo(res);
	return n;
}
