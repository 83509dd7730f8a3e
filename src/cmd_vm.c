/*
 * cmd_vm.c: the control commands.  One handler for every verb: the verb
 * comes from the table row, the operand from the instance map (the config
 * path for create, the name for the rest).  Each run leaves one audit line.
 */
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "toolstack.h"

void
cmd_vm(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	const struct exec_result	*r;
	char				 rc[32];

	(void)argv;
	r = toolstack_run(s->s_conf, c->c_verb, strcmp(c->c_verb,
	    "create") == 0 ? inst->i_path : inst->i_name);
	toolstack_rc(r, rc, sizeof(rc));
	log_info("control peer=%s user=%s verb=%s instance=%s rc=%s ms=%ld",
	    s->s_peer, s->s_user->u_name, c->c_verb, inst->i_name, rc, r->ms);
	if (!toolstack_ok(r)) {
		toolstack_fail_reply(s, r, c->c_verb);
		return;
	}
	session_ok(s);
	session_body_text(s, r->out, r->outlen);
	session_done(s);
}
