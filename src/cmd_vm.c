/*
 * cmd_vm.c: the control commands, in the worker.  One handler for every
 * verb: the verb from the table row, the instance from the map.  The
 * broker runs the toolstack (with the operand from its own scan) and logs
 * the audit line; the worker relays the outcome.
 */
#include <string.h>

#include "cmd.h"
#include "worker_ask.h"

void
cmd_vm(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;

	(void)argv;
	privmsg_req_init(&rq, PRIV_CONTROL);
	rq.r_verb = (uint32_t)c->c_verb;
	memcpy(rq.r_name, inst->i_name, sizeof(rq.r_name));
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		ask_fail_reply(s, rep);
		return;
	}
	session_ok(s);
	session_body_text(s, ask_payload(rep), rep->p_outlen);
	session_done(s);
}
