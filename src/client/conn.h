/*
 * conn.h: one connection driven one request at a time (an interactive
 * session, a console), every wait bounded by the -t seconds.
 */
#ifndef ARGO_CONN_H
#define ARGO_CONN_H

#include <stddef.h>

#include "argo.h"
#include "reply.h"

struct conn {
	const struct host	*c_host;
	int			 c_fd;
	int			 c_timeout;	/* seconds */
	struct reader		 c_in;
};

/* Connect (and log in with rq_user): an exit status, 0 when ready. */
int	conn_open(struct conn *c, const struct host *h,
	    const struct request *rq, int timeout);
void	conn_close(struct conn *c);
/* Send all of buf before the deadline: 0, or 2 with the error printed. */
int	conn_send(struct conn *c, const void *buf, size_t len);
/*
 * Read one reply, body to stdout, a 400 line to stderr: 0 (200), 1 (400)
 * or 2 (connection lost, timed out, protocol error; printed).  With
 * secret set, nothing of the reply is shown but a 400 (auth).
 */
int	conn_reply(struct conn *c, int secret);
/* Wait for more bytes into c_in until deadline: 1, 0 at EOF, -1 timeout. */
int	conn_fill(struct conn *c, long long deadline);
/* "HOST: message" on stderr. */
void	conn_error(const struct conn *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* "auth USER PASSWORD" and its reply, the line wiped after: status. */
int	conn_auth(struct conn *c, const char *user, const char *pass);

#endif
