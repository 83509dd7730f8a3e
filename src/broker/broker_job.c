/*
 * broker_job.c: what the broker allows and does for a worker's request.
 *
 * job_check() runs in the broker itself and decides, from the broker's own
 * state only: the account the worker's session really logged in as (not
 * what the worker says), that configuration's rules (anonymous_read,
 * readonly, instances =), and the broker's own scan of xen_dir.  A worker
 * that asks for more than its session may is refused here however it got
 * the idea.
 *
 * job_run() runs in a child of the broker, one per request, so that a
 * toolstack run, a password check or a DNS lookup never holds up another
 * session: it does the work, logs what it did, and writes the reply.
 * `auth` has a file of its own, broker_auth.c.
 */
#include <stdio.h>
#include <string.h>

#include "broker_auth.h"
#include "domlist.h"
#include "log.h"
#include "resolve.h"
#include "toolstack.h"
#include "util.h"

#define IP_MAX		32
#define RESOLVE_LIMIT_MS 120000

int
job_check(const struct bchan *ch, const struct priv_req *rq,
    const struct instances *map, const struct instance **inst,
    const char **why)
{
	const struct config	*c = ch->ch_bc->bc_conf;
	const struct user	*u = ch->ch_user;

	*inst = NULL;
	switch (rq->r_type) {
	case PRIV_AUTH:
		auth_begin(ch, rq);	/* its wait, decided here */
		return (PRIV_OK);
	case PRIV_LIST:
	case PRIV_INFO:
	case PRIV_RESOLVE:
	case PRIV_WATCH:
		if (u == NULL && !c->c_anonymous_read) {
			*why = "the session is anonymous and anonymous_read "
			    "is off";
			return (PRIV_NOAUTH);
		}
		break;
	case PRIV_CONTROL:
	case PRIV_CONSOLE:
		if (u == NULL) {
			*why = "the session is anonymous";
			return (PRIV_NOAUTH);
		}
		if (u->u_readonly) {
			*why = "the account is read-only";
			return (PRIV_DENIED);
		}
		break;
	default:
		*why = "not a job";
		return (PRIV_DENIED);
	}
	if (rq->r_type == PRIV_LIST || rq->r_type == PRIV_INFO ||
	    rq->r_type == PRIV_WATCH)
		return (PRIV_OK);
	if (map == NULL || (*inst = instances_find(map, rq->r_name)) == NULL) {
		*why = "no such instance in the broker's scan";
		return (PRIV_NOSUCH);
	}
	if (!config_user_sees(u, (*inst)->i_name)) {
		*inst = NULL;
		*why = "the instance is outside the account";
		return (PRIV_NOSUCH);
	}
	return (PRIV_OK);
}

long
job_limit_ms(const struct bchan *ch, const struct priv_req *rq)
{
	switch (rq->r_type) {
	case PRIV_AUTH:
		return (auth_limit_ms(ch));
	case PRIV_RESOLVE:
		return (RESOLVE_LIMIT_MS);
	default:
		/* exec_run() keeps its own timeout; this is the backstop. */
		return ((long)ch->ch_bc->bc_conf->c_toolstack_timeout * 1000 +
		    ARGO_KILL_GRACE_MS + 5000);
	}
}

static size_t
run_resolve(const struct instance *inst, struct priv_rep *rep, char *out)
{
	char	addrs[IP_MAX][RESOLVE_ADDRLEN];
	int	n, i;
	size_t	off = 0, len;

	n = resolve_name(inst->i_name, addrs, IP_MAX);
	for (i = 0; i < n; i++) {
		len = strlen(addrs[i]);
		memcpy(out + off, addrs[i], len);
		out[off + len] = '\n';
		off += len + 1;
	}
	rep->p_status = PRIV_OK;
	rep->p_outlen = (uint32_t)off;
	return (sizeof(*rep) + off);
}

static size_t
run_control(const struct bchan *ch, const struct priv_req *rq,
    const struct instance *inst, struct priv_rep *rep, char *out)
{
	const struct exec_result	*r;
	const char			*verb = privmsg_verb_name(rq->r_verb);
	char				 rc[32], num[32];

	/*
	 * The argv is ours: the verb from our table, the operand from our
	 * scan (the file for create, the name for the rest), a number the
	 * decoder range-checked, written by us (xl takes "512m" for MiB).
	 */
	num[0] = '\0';
	if (rq->r_verb == PV_MEMSET)
		(void)snprintf(num, sizeof(num), "%lldm",
		    (long long)rq->r_number);
	else if (rq->r_verb == PV_VCPUSET)
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)rq->r_number);
	r = toolstack_run(ch->ch_bc->bc_conf, verb, rq->r_verb == PV_CREATE ?
	    inst->i_path : inst->i_name, num[0] != '\0' ? num : NULL);
	toolstack_rc(r, rc, sizeof(rc));
	log_info("control peer=%s user=%s verb=%s instance=%s rc=%s ms=%ld",
	    ch->ch_peer, ch->ch_user->u_name, verb, inst->i_name, rc, r->ms);
	return (toolstack_reply(r, verb, rep, out));
}

/* Is inst running?  The broker starts its console only then. */
static size_t
run_console_check(const struct bchan *ch, const struct instance *inst,
    struct priv_rep *rep, char *out)
{
	struct domlist	dl;
	size_t		len, i;

	len = toolstack_reply(toolstack_run(ch->ch_bc->bc_conf, "list", NULL,
	    NULL), "list", rep, out);
	if (rep->p_status != PRIV_OK)
		return (len);
	rep->p_outlen = 0;
	if (domlist_parse(out, len - sizeof(*rep), &dl) == -1) {
		rep->p_status = PRIV_FAILED;
		util_strlcpy(rep->p_summary, "unexpected output from list",
		    sizeof(rep->p_summary));
		return (sizeof(*rep));
	}
	rep->p_status = PRIV_NOTRUNNING;
	for (i = 0; i < dl.d_n; i++)
		if (dl.d_v[i].id > 0 && strcmp(dl.d_v[i].name,
		    inst->i_name) == 0)
			rep->p_status = PRIV_OK;
	domlist_free(&dl);
	return (sizeof(*rep));
}

size_t
job_run(const struct bchan *ch, const struct priv_req *rq,
    const struct instance *inst, unsigned char *buf)
{
	struct priv_rep	 rep;
	char		*out = (char *)buf + sizeof(rep);
	size_t		 len = sizeof(rep);

	memset(&rep, 0, sizeof(rep));
	rep.p_magic = PRIV_MAGIC;
	rep.p_type = rq->r_type;
	switch (rq->r_type) {
	case PRIV_AUTH:
		len = auth_run(ch, rq, &rep);
		break;
	case PRIV_LIST:
		len = toolstack_reply(toolstack_run(ch->ch_bc->bc_conf, "list",
		    NULL, NULL), "list", &rep, out);
		break;
	case PRIV_INFO:
		len = toolstack_reply(toolstack_run(ch->ch_bc->bc_conf, "info",
		    NULL, NULL), "info", &rep, out);
		break;
	case PRIV_CONSOLE:
		len = run_console_check(ch, inst, &rep, out);
		break;
	case PRIV_RESOLVE:
		len = run_resolve(inst, &rep, out);
		break;
	case PRIV_CONTROL:
		len = run_control(ch, rq, inst, &rep, out);
		break;
	default:
		rep.p_status = PRIV_ERROR;
		break;
	}
	memcpy(buf, &rep, sizeof(rep));
	return (len);
}
