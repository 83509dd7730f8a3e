/*
 * instances.h: the instance map, name -> configuration file, built by
 * scanning xen_dir (DESIGN.md section 3.1).  Only names from this map ever
 * reach the toolstack.
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

/*
 * The current map of dir, rescanning what changed since the last call in
 * this process (directory and file mtimes, sizes, inodes).  Files skipped
 * are logged once per change.  Returns NULL (logged) when dir cannot be
 * read; the map stays valid until the next call.
 */
const struct instances	*instances_get(const char *dir);
const struct instance	*instances_find(const struct instances *in,
			    const char *name);
/*
 * Every worker scans, but a skipped file should be logged once: fn(key)
 * says whether the message with this key is new (shared memory filter).
 */
void			 instances_set_logfilter(int (*fn)(uint64_t key));
/* Whether the last instances_get() can trust inotify (no links, read ok). */
int			 instances_watchable(void);
/* A number that changes whenever the map instances_get() returns does. */
unsigned long		 instances_version(void);
/* A *.cfg name in shell-glob terms: ends in ".cfg", no leading dot. */
int			 instances_is_cfg_name(const char *name);
/* Drop the cache (after a configuration reload, or in tests). */
void			 instances_reset(void);

#endif
