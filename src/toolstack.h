/*
 * toolstack.h: the toolstack as argo-server uses it: fixed argument
 * vectors from constants and the instance map, and the replies.
 */
#ifndef ARGO_TOOLSTACK_H
#define ARGO_TOOLSTACK_H

#include "config.h"
#include "exec.h"
#include "session.h"

/*
 * Run `TOOL verb [arg]` under the configured timeout.  The result lives
 * in a per-process buffer, valid until the next call.
 */
const struct exec_result *toolstack_run(const struct config *c,
	    const char *verb, const char *arg);
/* 1 when the run exited 0. */
int	toolstack_ok(const struct exec_result *r);
/* The 400 reply for a failed run, with the whole stderr logged. */
void	toolstack_fail_reply(struct session *s, const struct exec_result *r,
	    const char *what);
/* "0", "timeout", "signal-9", "error": the audit's rc= field. */
void	toolstack_rc(const struct exec_result *r, char *buf, size_t len);

#endif
