/*
 * cmd.c: the command table and its dispatcher, plus the trivial commands.
 * Runs in the worker; the broker checks every request again.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "log.h"
#include "reply.h"
#include "util.h"
#include "worker_map.h"

static const struct cmd cmds[] = {
	{ "help", NULL, 0, NEED_NONE, 0, 0, "help", "list the commands",
	    cmd_help },
	{ "version", NULL, 0, NEED_NONE, 0, 0, "version",
	    "show the server version", cmd_version },
	{ "auth", NULL, 2, NEED_NONE, 0, 0, "auth USER PASSWORD",
	    "log in with an account", cmd_auth },
	{ "whoami", NULL, 0, NEED_NONE, 0, 0, "whoami",
	    "show the account of this session", cmd_whoami },
	{ "list", "available", 0, NEED_READ, 0, 0, "list available",
	    "list the configured instances", cmd_list_available },
	{ "list", "running", 0, NEED_READ, 0, 0, "list running",
	    "list the running instances", cmd_list_running },
	{ "status", NULL, 1, NEED_READ, CMD_F_INSTANCE, 0, "status NAME",
	    "show the state of an instance", cmd_status },
	{ "ip", NULL, 1, NEED_READ, CMD_F_INSTANCE, 0, "ip NAME",
	    "resolve the addresses of an instance", cmd_ip },
	{ "start", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_CREATE,
	    "start NAME", "start an instance (also: boot, create)", cmd_vm },
	{ "boot", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE | CMD_F_ALIAS,
	    PV_CREATE, "boot NAME", NULL, cmd_vm },
	{ "create", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE | CMD_F_ALIAS,
	    PV_CREATE, "create NAME", NULL, cmd_vm },
	{ "shutdown", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_SHUTDOWN,
	    "shutdown NAME", "ask an instance to shut down", cmd_vm },
	{ "reboot", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_REBOOT,
	    "reboot NAME", "ask an instance to reboot", cmd_vm },
	{ "destroy", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_DESTROY,
	    "destroy NAME", "stop an instance at once", cmd_vm },
	{ "pause", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_PAUSE,
	    "pause NAME", "pause an instance", cmd_vm },
	{ "unpause", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, PV_UNPAUSE,
	    "unpause NAME", "resume a paused instance", cmd_vm },
	{ "info", NULL, 0, NEED_READ, 0, 0, "info", "show the host's facts",
	    cmd_info },
	{ "console", NULL, 1, NEED_CONTROL, CMD_F_INSTANCE, 0, "console NAME",
	    "attach to an instance's console (Ctrl-] detaches)", cmd_console },
	{ "mem-set", NULL, 2, NEED_CONTROL, CMD_F_INSTANCE, PV_MEMSET,
	    "mem-set NAME MIB", "set an instance's memory, in MiB", cmd_vm },
	{ "vcpu-set", NULL, 2, NEED_CONTROL, CMD_F_INSTANCE, PV_VCPUSET,
	    "vcpu-set NAME N", "set an instance's number of vCPUs", cmd_vm },
	{ "watch", NULL, 0, NEED_READ, 0, 0, "watch",
	    "stream state changes until a line is sent", cmd_watch },
	{ "exit", NULL, 0, NEED_NONE, 0, 0, "exit",
	    "end the session (also: quit)", cmd_quit },
	{ "quit", NULL, 0, NEED_NONE, CMD_F_ALIAS, 0, "quit", NULL, cmd_quit },
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
