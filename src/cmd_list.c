/*
 * cmd_list.c: the read commands: list available, list running, status, ip.
 * A restricted account sees only its instances, in every list.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "domlist.h"
#include "resolve.h"
#include "toolstack.h"
#include "util.h"

#define IP_MAX	32

void
cmd_list_available(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	const struct instances	*map;
	size_t			 i;

	(void)c;
	(void)argv;
	(void)inst;
	map = instances_get(s->s_conf->c_xen_dir);
	session_ok(s);
	for (i = 0; map != NULL && i < map->in_n; i++)
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
	const struct exec_result *r;

	r = toolstack_run(s->s_conf, "list", NULL);
	if (!toolstack_ok(r)) {
		toolstack_fail_reply(s, r, "list");
		return (-1);
	}
	if (domlist_parse(r->out, r->outlen, dl) == -1) {
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

static void
addresses(const char *name, char *buf, size_t len)
{
	char	addrs[IP_MAX][RESOLVE_ADDRLEN];
	int	n, i;
	size_t	off = 0;

	n = resolve_name(name, addrs, IP_MAX);
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i ? " " : "", addrs[i]);
}

void
cmd_status(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct domlist		 dl;
	const struct domain	*d = NULL;
	char			 ip[IP_MAX * (RESOLVE_ADDRLEN + 1)];
	size_t			 i;

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
	addresses(inst->i_name, ip, sizeof(ip));
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
	char	addrs[IP_MAX][RESOLVE_ADDRLEN];
	int	n, i;

	(void)c;
	(void)argv;
	n = resolve_name(inst->i_name, addrs, IP_MAX);
	session_ok(s);
	for (i = 0; i < n; i++)
		session_body(s, addrs[i], strlen(addrs[i]));
	session_done(s);
}
