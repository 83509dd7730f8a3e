/*
 * hostspec.h: the hosts of one run, from HOST[,HOST...] and -H FILE.
 * A host is `name`, `name:port`, an IPv4 address (with or without
 * `:port`), `[v6]:port`, `[v6]` or a bare IPv6 address.
 */
#ifndef ARGO_HOSTSPEC_H
#define ARGO_HOSTSPEC_H

#include <stddef.h>

#include "argo.h"

struct hostlist {
	struct host	*hl_hosts;
	size_t		 hl_n;
	size_t		 hl_cap;
};

/*
 * Parse one host; the port is defport when the spec has none.  0, or -1
 * with a message in err.  On success h owns two allocations
 * (host_free()).
 */
int	host_parse(const char *spec, const char *defport, struct host *h,
	    char *err, size_t errlen);
void	host_free(struct host *h);

/* Add every host of a comma-separated list: 0, or -1 with err. */
int	hosts_add_list(struct hostlist *hl, const char *list,
	    const char *defport, char *err, size_t errlen);
/*
 * Add the hosts of a file, one a line, `#` starting a comment, blank
 * lines ignored; "-" is the standard input.  0, or -1 with err
 * ("FILE:LINE: message" for a bad line).
 */
int	hosts_add_file(struct hostlist *hl, const char *path,
	    const char *defport, char *err, size_t errlen);
void	hosts_free(struct hostlist *hl);

#endif
