/*
 * instances.h: the instance map, name -> configuration file (DESIGN.md
 * section 3.1), as the broker builds it (instances_scan.h) and every
 * process reads it (imap.h).  Only names from this map ever reach the
 * toolstack.
 */
#ifndef ARGO_INSTANCES_H
#define ARGO_INSTANCES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "defs.h"

struct instance {
	char	 i_name[ARGO_MAX_NAME + 1];
	char	*i_path;		/* xen_dir/FILE, absolute */
	long	 i_memory;		/* -1: not in the file */
	long	 i_vcpus;
};

struct instances {
	struct instance	*in_v;		/* sorted by name, byte order */
	size_t		 in_n;
};

/* Binary search of the sorted map (imap.c): NULL when name is not in it. */
const struct instance	*instances_find(const struct instances *in,
			    const char *name);

#endif
