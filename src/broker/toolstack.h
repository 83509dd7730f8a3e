/*
 * toolstack.h: the toolstack as the broker's children run it: fixed
 * argument vectors from constants and the broker's instance scan, and the
 * reply record a worker gets.
 */
#ifndef ARGO_TOOLSTACK_H
#define ARGO_TOOLSTACK_H

#include "config.h"
#include "exec.h"
#include "privmsg.h"

/*
 * Run `TOOL verb [arg [arg2]]` under the configured timeout.  The result
 * lives in a per-process buffer, valid until the next call.
 */
const struct exec_result *toolstack_run(const struct config *c,
	    const char *verb, const char *arg, const char *arg2);
/* "0", "timeout", "signal-9", "error": the audit's rc= field. */
void	toolstack_rc(const struct exec_result *r, char *buf, size_t len);
/*
 * The reply for r: status, summary and (when it exited 0) its stdout in
 * out (PRIV_OUT_MAX bytes); a failure's whole stderr is logged, prefixed
 * with what.  Returns the reply's length, header included.
 */
size_t	toolstack_reply(const struct exec_result *r, const char *what,
	    struct priv_rep *rep, char *out);

#endif
