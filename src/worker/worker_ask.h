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
 * The two halves of ask(), for a watch, whose question waits in the
 * broker while the session reads its client: send rq (0, or -1 when the
 * broker is gone), and read the next reply, which must answer a request of
 * type (NULL when the broker is gone or broke the protocol).
 */
int	ask_post(struct priv_req *rq);
const struct priv_rep *ask_take(enum priv_type type);
/* The reply's payload. */
const char *ask_payload(const struct priv_rep *rep);

#endif
