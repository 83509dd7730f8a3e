/*
 * worker_ask.h: what a worker asks the broker, over its channel.  Every
 * call blocks until the broker's reply (the session waits for it, as it
 * used to wait for the toolstack).
 */
#ifndef ARGO_WORKER_ASK_H
#define ARGO_WORKER_ASK_H

#include <stddef.h>
#include <stdint.h>

#include "privmsg.h"
#include "session.h"

/* The channel, once per worker. */
void	ask_init(int fd);
/* The channel itself, to notice a hang-up while waiting for a client. */
int	ask_fd(void);
/*
 * The session requests are made for from now on: its number, and its
 * client socket, which goes to the broker with the session's first request.
 */
void	ask_session(uint64_t session, int client);
/*
 * Send rq (its magic and session are filled in) and wait for the
 * reply, valid until the next call; *fdp gets a descriptor that came with
 * it, or -1 (fdp may be NULL: then none is accepted).  NULL when the
 * broker is gone: the worker then stops after this session.
 */
const struct priv_rep *ask(struct priv_req *rq, int *fdp);
/*
 * A socket session's account, as the broker has it from the client's uid
 * (DESIGN.md 8): asked before the first byte is read, so that whoami and
 * the worker's own checks agree with the broker's from the start.  NULL:
 * anonymous; *gone set when the broker did not answer.
 */
const struct user *ask_whoami(const struct config *c, int *gone);
/* The reply's payload. */
const char *ask_payload(const struct priv_rep *rep);
/* The 400 reply for a refused or failed request (rep NULL: no broker). */
void	ask_fail_reply(struct session *s, const struct priv_rep *rep);

#endif
