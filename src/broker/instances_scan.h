/*
 * instances_scan.h: the broker's scan of xen_dir into the instance map,
 * which it publishes (imap_write.h) and workers only read.
 */
#ifndef ARGO_INSTANCES_SCAN_H
#define ARGO_INSTANCES_SCAN_H

#include <stdint.h>

#include "instances.h"

/*
 * The current map of dir, rescanning what changed since the last call in
 * this process (directory and file mtimes, sizes, inodes).  Files skipped
 * are logged once per change.  Returns NULL (logged) when dir cannot be
 * read; the map stays valid until the next call.
 */
const struct instances	*instances_get(const char *dir);
/*
 * A skipped file is logged once per change, not at every rescan: fn(key)
 * says whether the message with this key is new (log_once).
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
