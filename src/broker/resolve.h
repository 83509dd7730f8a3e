/*
 * resolve.h: the `ip` command's lookup.
 */
#ifndef ARGO_RESOLVE_H
#define ARGO_RESOLVE_H

#include <stddef.h>
#include <netinet/in.h>

#define RESOLVE_ADDRLEN	INET6_ADDRSTRLEN

/*
 * getaddrinfo(name) for IPv4 and IPv6; numeric addresses in the order the
 * resolver gives them, without duplicates, at most max of them.  Returns the
 * count (0 when the name does not resolve: not an error for the caller).
 */
int	resolve_name(const char *name, char (*addrs)[RESOLVE_ADDRLEN],
	    int max);

#endif
