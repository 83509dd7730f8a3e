/*
 * worker_map.h: the instance map as a worker sees it: its own copy of the
 * broker's shared map, fresh for each request.
 */
#ifndef ARGO_WORKER_MAP_H
#define ARGO_WORKER_MAP_H

#include "instances.h"

/*
 * The map for this request.  Asks the broker to rescan when the change
 * signal says xen_dir may have changed (imap_unsettled()), when the map
 * cannot trust inotify (links among the files, an unreadable directory),
 * or when a second passed since it last asked; else reuses what it has.
 * Never NULL (an empty map when there is none).
 */
const struct instances	*wmap_get(void);

#endif
