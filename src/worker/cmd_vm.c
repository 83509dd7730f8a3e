/*
 * cmd_vm.c: the control commands, in the worker.  One handler for every
 * verb: the verb from the table row, the instance from the map, and for
 * mem-set and vcpu-set a number checked here, and again by the broker.  The
 * broker runs the toolstack (with the operand from its own scan) and logs
 * the audit line; the worker relays the outcome.
 */
#include <string.h>

#include "cmd.h"
#include "reply.h"
#include "worker_ask.h"

/*
 * A count for mem-set or vcpu-set: decimal digits only (no sign, no 0x,
 * no exponent), at most 7 of them, within [min, max].
 */
static int
number(const char *w, long min, long max, int64_t *out)
{
	size_t	i, n = strlen(w);
	long	v = 0;

	if (n == 0 || n > 7)
		return (-1);
	for (i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return (-1);
		v = v * 10 + (w[i] - '0');
	}
	if (v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

void
cmd_vm(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;

	privmsg_req_init(&rq, PRIV_CONTROL);
	rq.r_verb = (uint32_t)c->c_verb;
	if ((c->c_verb == PV_MEMSET && number(argv[1], PRIV_MEMSET_MIN,
	    PRIV_MEMSET_MAX, &rq.r_number) == -1) ||
	    (c->c_verb == PV_VCPUSET && number(argv[1], PRIV_VCPUSET_MIN,
	    PRIV_VCPUSET_MAX, &rq.r_number) == -1)) {
		session_error(s, "USAGE: %s", c->c_usage);
		return;
	}
	memcpy(rq.r_name, inst->i_name, sizeof(rq.r_name));
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return;
	}
	session_ok(s);
	session_body_text(s, ask_payload(rep), rep->p_outlen);
	session_done(s);
}
