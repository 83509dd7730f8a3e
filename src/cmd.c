/*
 * cmd.c: the command table and its dispatcher, plus the trivial commands.
 * Runs in the worker; the broker checks every request again.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "log.h"
#include "util.h"
#include "worker_map.h"

static const struct cmd cmds[] = {
	{ "help", NULL, 0, NEED_NONE, 0, "help",
	    "list the commands", cmd_help, 0 },
	{ "version", NULL, 0, NEED_NONE, 0, "version",
	    "show the server version", cmd_version, 0 },
	{ "auth", NULL, 2, NEED_NONE, 0, "auth USER PASSWORD",
	    "log in with an account", cmd_auth, 0 },
	{ "whoami", NULL, 0, NEED_NONE, 0, "whoami",
	    "show the account of this session", cmd_whoami, 0 },
	{ "list", "available", 0, NEED_READ, 0, "list available",
	    "list the configured instances", cmd_list_available, 0 },
	{ "list", "running", 0, NEED_READ, 0, "list running",
	    "list the running instances", cmd_list_running, 0 },
	{ "status", NULL, 1, NEED_READ, CMD_F_INSTANCE, "status NAME",
	    "show the state of an instance", cmd_status, 0 },
	{ "ip", NULL, 1, NEED_READ, CMD_F_INSTANCE, "ip NAME",
	    "resolve the addresses of an instance", cmd_ip, 0 },
	{ "start", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "start NAME",
	    "start an instance (also: boot, create)", cmd_vm, PV_CREATE },
	{ "boot", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE | CMD_F_ALIAS,
	    "boot NAME", NULL, cmd_vm, PV_CREATE },
	{ "create", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE | CMD_F_ALIAS,
	    "create NAME", NULL, cmd_vm, PV_CREATE },
	{ "shutdown", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "shutdown NAME",
	    "ask an instance to shut down", cmd_vm, PV_SHUTDOWN },
	{ "reboot", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "reboot NAME",
	    "ask an instance to reboot", cmd_vm, PV_REBOOT },
	{ "destroy", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "destroy NAME",
	    "stop an instance at once", cmd_vm, PV_DESTROY },
	{ "pause", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "pause NAME",
	    "pause an instance", cmd_vm, PV_PAUSE },
	{ "unpause", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "unpause NAME",
	    "resume a paused instance", cmd_vm, PV_UNPAUSE },
	{ "info", NULL, 0, NEED_READ, 0, "info",
	    "show the host's facts", cmd_info, 0 },
	{ "console", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, "console NAME",
	    "attach to an instance's console (Ctrl-] detaches)", cmd_console,
	    0 },
	{ "mem-set", NULL, 2, NEED_CONTROL, CMD_F_INSTANCE, "mem-set NAME MIB",
	    "set an instance's memory, in MiB", cmd_vm, PV_MEMSET },
	{ "vcpu-set", NULL, 2, NEED_CONTROL, CMD_F_INSTANCE, "vcpu-set NAME N",
	    "set an instance's number of vCPUs", cmd_vm, PV_VCPUSET },
	{ "exit", NULL, 0, NEED_NONE, 0, "exit",
	    "end the session (also: quit)", cmd_quit, 0 },
	{ "quit", NULL, 0, NEED_NONE, CMD_F_ALIAS, "quit", NULL,
	    cmd_quit, 0 },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

const struct cmd *
cmd_table(size_t *n)
{
	*n = NCMDS;
	return (cmds);
}

/* "list available|running": every sub-word of a word, for USAGE. */
static void
usage_of(const char *word, char *buf, size_t len)
{
	size_t	i, off = 0;
	int	first = 1;

	buf[0] = '\0';
	for (i = 0; i < NCMDS; i++) {
		if (strcasecmp(cmds[i].c_word, word) != 0)
			continue;
		if (cmds[i].c_sub == NULL) {
			util_strlcpy(buf, cmds[i].c_usage, len);
			return;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    first ? "" : "|", first ? cmds[i].c_usage : cmds[i].c_sub);
		if (off >= len)
			return;
		first = 0;
	}
}

static int
may(const struct session *s, enum cmd_need need, const char **why)
{
	switch (need) {
	case NEED_NONE:
		return (1);
	case NEED_READ:
		if (s->s_user != NULL || s->s_conf->c_anonymous_read)
			return (1);
		*why = "NOT AUTHENTICATED";
		return (0);
	case NEED_CONTROL:
		if (s->s_user == NULL) {
			*why = "NOT AUTHENTICATED";
			return (0);
		}
		if (s->s_user->u_readonly) {
			*why = "PERMISSION DENIED";
			return (0);
		}
		return (1);
	}
	return (0);
}

static void
audit_refused(struct session *s, const struct cmd *c, int argc, char **argv,
    const char *rc)
{
	char	name[ARGO_LOG_SANITIZE + 1];

	if (c->c_verb == 0)
		return;
	if (argc >= 2)
		log_sanitize(name, sizeof(name), argv[1], strlen(argv[1]));
	else
		util_strlcpy(name, "-", sizeof(name));
	log_info("control peer=%s user=%s verb=%s instance=%s rc=%s ms=0",
	    s->s_peer, s->s_user ? s->s_user->u_name : "-",
	    privmsg_verb_name(c->c_verb), name, rc);
}

void
cmd_dispatch(struct session *s, int argc, char **argv)
{
	const struct cmd	*c = NULL;
	const struct instance	*inst = NULL;
	const struct instances	*map;
	const char		*why = "PERMISSION DENIED";
	char			 usage[128];
	size_t			 i;
	int			 known = 0, used;

	for (i = 0; i < NCMDS; i++) {
		if (strcasecmp(cmds[i].c_word, argv[0]) != 0)
			continue;
		known = 1;
		if (cmds[i].c_sub == NULL || (argc >= 2 && argc <=
		    ARGO_MAX_WORDS && strcasecmp(cmds[i].c_sub, argv[1]) == 0)) {
			c = &cmds[i];
			break;
		}
	}
	if (!known) {
		session_error(s, "UNKNOWN COMMAND");
		return;
	}
	used = c != NULL && c->c_sub != NULL ? 2 : 1;
	if (c == NULL || argc - used != c->c_nargs) {
		usage_of(argv[0], usage, sizeof(usage));
		session_error(s, "USAGE: %s", usage);
		return;
	}
	if (!may(s, c->c_need, &why)) {
		audit_refused(s, c, argc, argv, "denied");
		session_error(s, "%s", why);
		return;
	}
	if (c->c_flags & CMD_F_INSTANCE) {
		/*
		 * The one place a client's word meets the instance map: from
		 * here on only the map's copy of the name is used.
		 */
		map = wmap_get();
		inst = instances_find(map, argv[used]);
		if (inst == NULL || !config_user_sees(s->s_user,
		    inst->i_name)) {
			audit_refused(s, c, argc, argv, "nosuch");
			session_error(s, "NO SUCH INSTANCE");
			return;
		}
	}
	c->c_run(s, c, argv + used, inst);
}

void
cmd_help(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	size_t	i;

	(void)c;
	(void)argv;
	(void)inst;
	session_ok(s);
	for (i = 0; i < NCMDS; i++)
		if (!(cmds[i].c_flags & CMD_F_ALIAS))
			session_bodyf(s, "%-20s %s", cmds[i].c_usage,
			    cmds[i].c_help);
	session_done(s);
}

void
cmd_version(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	(void)c;
	(void)argv;
	(void)inst;
	session_ok(s);
	session_bodyf(s, "argo-server %s", ARGO_VERSION);
	session_done(s);
}

void
cmd_whoami(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	(void)c;
	(void)argv;
	(void)inst;
	session_ok(s);
	session_bodyf(s, "%s", s->s_user ? s->s_user->u_name : "anonymous");
	session_done(s);
}

void
cmd_quit(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	(void)c;
	(void)argv;
	(void)inst;
	session_ok(s);
	session_bye(s);
	s->s_close = 1;
	s->s_reason = "quit";
}
