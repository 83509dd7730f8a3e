/*
 * cmd_list.c: the read commands: list available, list running, status, ip,
 * in the worker.  The map is the worker's copy of the broker's scan; the
 * toolstack's `list` and the name lookups are the broker's, and the
 * worker parses what comes back.  A restricted account sees only its
 * instances, in every list.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "domlist.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"
#include "worker_map.h"

#define IP_LINE	1024

void
cmd_list_available(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	const struct instances	*map;
	size_t			 i;

	(void)c;
	(void)argv;
	(void)inst;
	map = wmap_get();
	session_ok(s);
	for (i = 0; i < map->in_n; i++)
		if (config_user_sees(s->s_user, map->in_v[i].i_name))
			session_body(s, map->in_v[i].i_name,
			    strlen(map->in_v[i].i_name));
	session_done(s);
}

static int
is_dom0(const struct domain *d)
{
	return (d->id == 0 || strcmp(d->name, "Domain-0") == 0);
}

/* Run `list` and parse it; on failure the 400 reply is already queued. */
static int
running(struct session *s, struct domlist *dl)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;

	privmsg_req_init(&rq, PRIV_LIST);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return (-1);
	}
	if (domlist_parse(ask_payload(rep), rep->p_outlen, dl) == -1) {
		session_error(s, "TOOLSTACK FAILED: unexpected output from "
		    "list");
		return (-1);
	}
	return (0);
}

void
cmd_list_running(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct domlist	dl;
	size_t		i;

	(void)c;
	(void)argv;
	(void)inst;
	if (running(s, &dl) == -1)
		return;
	session_ok(s);
	for (i = 0; i < dl.d_n; i++) {
		const struct domain *d = &dl.d_v[i];

		/* xm also lists managed domains that are not running. */
		if (is_dom0(d) || d->id < 0 ||
		    !config_user_sees(s->s_user, d->name))
			continue;
		session_bodyf(s, "%s id=%ld mem=%ld vcpus=%ld state=%s "
		    "cpu=%.1f", d->name, d->id, d->mem, d->vcpus, d->state,
		    d->cpu);
	}
	session_done(s);
	domlist_free(&dl);
}

/*
 * Ask the broker for the addresses of inst: one per line in the reply's
 * payload, NULL with the 400 reply queued when it failed.
 */
static const struct priv_rep *
addresses(struct session *s, const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;

	privmsg_req_init(&rq, PRIV_RESOLVE);
	memcpy(rq.r_name, inst->i_name, sizeof(rq.r_name));
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return (NULL);
	}
	return (rep);
}

void
cmd_status(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct domlist		 dl;
	const struct domain	*d = NULL;
	const struct priv_rep	*rep;
	char			 ip[IP_LINE];
	size_t			 i, n;

	(void)c;
	(void)argv;
	if (running(s, &dl) == -1)
		return;
	for (i = 0; i < dl.d_n; i++)
		if (dl.d_v[i].id >= 0 && !is_dom0(&dl.d_v[i]) &&
		    strcmp(dl.d_v[i].name, inst->i_name) == 0) {
			d = &dl.d_v[i];
			break;
		}
	if ((rep = addresses(s, inst)) == NULL) {
		domlist_free(&dl);
		return;
	}
	/* One line, blank-separated. */
	n = rep->p_outlen < sizeof(ip) ? rep->p_outlen : sizeof(ip) - 1;
	memcpy(ip, ask_payload(rep), n);
	while (n > 0 && ip[n - 1] == '\n')
		n--;
	ip[n] = '\0';
	for (i = 0; i < n; i++)
		if (ip[i] == '\n')
			ip[i] = ' ';
	session_ok(s);
	session_bodyf(s, "name: %s", inst->i_name);
	session_bodyf(s, "config: %s", inst->i_path);
	if (d != NULL) {
		session_bodyf(s, "state: %s", d->state);
		session_bodyf(s, "id: %ld", d->id);
		session_bodyf(s, "mem: %ld", d->mem);
		session_bodyf(s, "vcpus: %ld", d->vcpus);
	} else {
		session_bodyf(s, "state: stopped");
		session_bodyf(s, "id: -");
		if (inst->i_memory >= 0)
			session_bodyf(s, "mem: %ld", inst->i_memory);
		else
			session_bodyf(s, "mem: -");
		if (inst->i_vcpus >= 0)
			session_bodyf(s, "vcpus: %ld", inst->i_vcpus);
		else
			session_bodyf(s, "vcpus: -");
	}
	session_bodyf(s, "ip: %s", ip[0] ? ip : "unknown");
	session_done(s);
	domlist_free(&dl);
}

void
cmd_ip(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	const struct priv_rep	*rep;

	(void)c;
	(void)argv;
	if ((rep = addresses(s, inst)) == NULL)
		return;
	session_ok(s);
	session_body_text(s, ask_payload(rep), rep->p_outlen);
	session_done(s);
}
