/*
 * dirwatch.h: whether a directory may have changed since the last look
 * (inotify), so that a steady xen_dir is not stat()ed file by file.
 * Used by the broker only: the daemon has one inotify instance, its own.
 */
#ifndef ARGO_DIRWATCH_H
#define ARGO_DIRWATCH_H

#include "defs.h"		/* DIRWATCH_RECHECK_MS, which workers use too */

/*
 * Use fd, an inotify instance made for us (imap_create), rather than one
 * of our own: its readiness is what workers poll (imap.h).  It is never
 * closed here.
 */
void	dirwatch_use(int fd);
/*
 * Start watching dir, before scanning it: 0, or -1 (no watch; every call
 * of dirwatch_quiet() then says "look").  Events already queued are read
 * and dropped: the scan that follows covers them.
 */
int	dirwatch_arm(const char *dir);
/*
 * 1 when nothing relevant happened in dir since dirwatch_arm() in this
 * process: no event naming an entry for which relevant(name) is true, the
 * directory itself neither moved nor removed, and a full look not due.
 * 0 otherwise: scan again (and arm again).  Reads every queued event.
 */
int	dirwatch_quiet(const char *dir, int (*relevant)(const char *name));
/* Stop watching (the directory is no longer xen_dir); the instance stays. */
void	dirwatch_close(void);

#endif
