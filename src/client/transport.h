/*
 * transport.h: hosts that are not TCP (DESIGN.md 8).  A `unix:PATH` host
 * is a connect to a local socket; an `ssh://` host is an ssh child whose
 * standard input and output are one end of a socketpair, so that the rest
 * of the client sees a connected stream socket either way.
 */
#ifndef ARGO_TRANSPORT_H
#define ARGO_TRANSPORT_H

#include <stddef.h>

#include "argo.h"

/* A connected, non-blocking socket for a HOST_UNIX or HOST_SSH host, or
 * -1 with a message in err. */
int	transport_open(const struct host *h, char *err, size_t errlen);
/*
 * Why fd's ssh ended: the last line ssh wrote on its standard error, once
 * it has exited (bounded wait), into buf; "" when fd is not ssh's or ssh
 * said nothing.
 */
void	transport_why(int fd, char *buf, size_t len);
/* Close fd; an ssh behind it is stopped and reaped. */
void	transport_close(int fd);

/* transport_ssh.c: the argv of `ssh ... HOST argo -R` (argv_free()). */
char	**transport_ssh_argv(const struct host *h);
void	argv_free(char **argv);

/* relay.c: `argo -R`, the far end of ssh: stdin and stdout to the local
 * socket ($ARGO_SOCKET or the default).  An exit status. */
int	relay_run(void);

#endif
