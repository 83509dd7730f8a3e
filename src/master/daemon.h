/*
 * daemon.h: detaching from the terminal and the pid file.
 */
#ifndef ARGO_DAEMON_H
#define ARGO_DAEMON_H

#include <stddef.h>

/*
 * Fork and detach (setsid, chdir /, umask 027, /dev/null on 0-2).  The
 * parent does not return: it exits 0 once the child calls
 * daemon_ready(), or 1 if the child dies first, so start-stop-daemon and
 * shells see start-up failures.
 */
void	daemon_detach(void);
void	daemon_ready(void);

/*
 * Open the pid file (path not empty) before detaching, so a bad path is
 * reported on the terminal: the descriptor, or -1 with why in err.  Only
 * a regular file with one link is accepted; nothing is written yet.
 */
int	pidfile_open(const char *path, char *err, size_t errlen);
/* Write our pid through fd (from pidfile_open) and close it: 0 or -1. */
int	pidfile_write(int fd, const char *path);
void	pidfile_remove(const char *path);

#endif
