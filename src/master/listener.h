/*
 * listener.h: the listening sockets, opened by the master before it forks.
 */
#ifndef ARGO_LISTENER_H
#define ARGO_LISTENER_H

#include <stddef.h>

#include "config.h"

#include <sys/types.h>

/* The TCP addresses, and the UNIX socket last (DESIGN.md 8). */
#define LISTENERS_MAX	(CONFIG_MAX_LISTEN + 1)

struct listeners {
	int	l_fd[LISTENERS_MAX];
	char	l_name[LISTENERS_MAX][128];	/* "127.0.0.1:20203",
						   "unix:/run/argo-server/argo.sock" */
	int	l_unix[LISTENERS_MAX];		/* 1: a UNIX socket */
	size_t	l_n;
	/* the socket file we made, removed at exit if it is still ours */
	char	l_path[108];
	dev_t	l_dev;
	ino_t	l_ino;
};

/*
 * Bind every address of c->c_listen on port (0: the kernel picks one for
 * the first address and the others reuse it).  Returns 0, or -1 with
 * "cannot listen on ADDR port N: reason" in err.
 */
int	listener_open(const struct config *c, int port, struct listeners *l,
	    char *err, size_t errlen);
void	listener_close(struct listeners *l);

/*
 * listener_unix.c: add c->c_socket to l, when set.  A file already there
 * is replaced only when nothing answers on it (a stale socket); a live one
 * is an error, as is anything but a socket.  The directory is made 0755
 * when missing; the file gets socket_mode and socket_group.  0, or -1 with
 * "cannot listen on PATH: reason" in err.
 */
int	listener_open_unix(const struct config *c, struct listeners *l,
	    char *err, size_t errlen);
/* Remove the socket file, if it is still the one we made (the master, at
 * exit). */
void	listener_unlink(struct listeners *l);

/* A reload cannot move the bound sockets or the pid file (portopt: -p, or
 * -1): 1 if nc asks for none of that, else listener_conf_keep() puts the
 * running values back into nc. */
int	listener_conf_same(const struct config *old, const struct config *nc,
	    int portopt);
void	listener_conf_keep(const struct config *old, struct config *nc);

/* 1 if a connection waits in some listener's backlog (a look, no accept). */
int	listener_pending(const struct listeners *l);

#endif
