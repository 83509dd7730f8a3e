/*
 * dirwatch.h: whether a directory may have changed since the last look
 * (inotify), so that a steady xen_dir is not stat()ed file by file.
 */
#ifndef ARGO_DIRWATCH_H
#define ARGO_DIRWATCH_H

/* A full look at least this often, for what inotify cannot see. */
#define DIRWATCH_RECHECK_MS	1000

/*
 * Start watching dir, before scanning it: 0, or -1 (no watch; every call
 * of dirwatch_quiet() then says "look").
 */
int	dirwatch_arm(const char *dir);
/*
 * 1 when nothing relevant happened in dir since dirwatch_arm() in this
 * process: no event naming an entry for which relevant(name) is true, the
 * directory itself neither moved nor removed, and a full look not due.
 * 0 otherwise: scan again (and arm again).
 */
int	dirwatch_quiet(const char *dir, int (*relevant)(const char *name));
void	dirwatch_close(void);
/* A new inotify descriptor watching dir (non-blocking), or -1. */
int	dirwatch_open(const char *dir);
/*
 * Read every event pending on fd: 1 when none could concern the scan (only
 * names relevant() rejects), 0 when a rescan is needed, -1 when the watch
 * itself is gone (directory moved or removed, queue overflow): rescan and
 * watch anew.
 */
int	dirwatch_drain(int fd, int (*relevant)(const char *name));

#endif
