/*
 * domlist.h: parsing the output of `xl list` and `xm list` (XEN-FACTS.md
 * section 1) into domains.
 */
#ifndef ARGO_DOMLIST_H
#define ARGO_DOMLIST_H

#include <stddef.h>

struct domain {
	char		*name;		/* may hold spaces (xl does not check) */
	long		 id;		/* -1: xm's inactive managed domain */
	long		 mem;		/* MiB */
	long		 vcpus;
	const char	*state;		/* running blocked paused shutdown
					   crashed dying, or "stopped" for
					   xm's inactive rows */
	double		 cpu;		/* seconds */
};

struct domlist {
	struct domain	*d_v;
	size_t		 d_n;
};

/*
 * Parse the whole stdout of `TOOL list`.  The first non-empty line must be
 * the header (starts with "Name" and contains "ID"); every other non-empty
 * line is a row, split from the right: Time, State, VCPUs, Mem, ID and the
 * rest (trimmed) is the name; xm rows of inactive managed domains have no
 * ID and no State.  Domain-0 is kept (callers drop it).  Returns 0, or -1
 * (out empty) when the output is not a list.
 */
int	domlist_parse(const char *buf, size_t len, struct domlist *out);
void	domlist_free(struct domlist *dl);

/*
 * Map a six-letter state column to a state word, highest first: d dying,
 * c crashed, s shutdown, p paused, r running, b blocked, all dashes
 * running.  NULL if letters is not a state column.
 */
const char	*domlist_state(const char *letters);

#endif
