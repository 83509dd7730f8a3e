/*
 * daemon.h: detaching from the terminal and the pid file.
 */
#ifndef ARGO_DAEMON_H
#define ARGO_DAEMON_H

/*
 * Fork and detach (setsid, chdir /, umask 027, /dev/null on 0-2).  The
 * parent does not return: it exits 0 once the child calls
 * daemon_ready(), or 1 if the child dies first, so start-stop-daemon and
 * shells see start-up failures.
 */
void	daemon_detach(void);
void	daemon_ready(void);

int	pidfile_write(const char *path);	/* 0 or -1 (errno) */
void	pidfile_remove(const char *path);

#endif
