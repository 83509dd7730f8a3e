/*
 * cmd.h: the command table.  One row per request form; the dispatcher
 * checks arity, permission and the instance name before any handler runs,
 * and `help` and the USAGE replies are generated from the same rows.
 */
#ifndef ARGO_CMD_H
#define ARGO_CMD_H

#include "instances.h"
#include "privmsg.h"
#include "session.h"

enum cmd_need {
	NEED_NONE,		/* anyone the allow-list admitted */
	NEED_READ,		/* anonymous_read, or any account */
	NEED_CONTROL,		/* an account that is not read-only */
};

#define CMD_F_ALIAS	0x01	/* same as the row above; not in help */
#define CMD_F_INSTANCE	0x02	/* the first operand is an instance name */

struct cmd;
typedef void	cmd_fn(struct session *, const struct cmd *, char **,
		    const struct instance *);

struct cmd {
	const char	*c_word;	/* first word, case-insensitive */
	const char	*c_sub;		/* required second word, or NULL */
	int		 c_nargs;	/* operands after word [sub] */
	enum cmd_need	 c_need;
	unsigned int	 c_flags;
	enum priv_verb	 c_verb;	/* control verb, 0: none */
	const char	*c_usage;
	const char	*c_help;
	cmd_fn		*c_run;
};

void	cmd_dispatch(struct session *s, int argc, char **argv);
/* The table, for help and the unit tests. */
const struct cmd *cmd_table(size_t *n);

/* Handlers, one file per family. */
cmd_fn	cmd_help, cmd_version, cmd_whoami, cmd_quit;	/* cmd.c */
cmd_fn	cmd_auth;					/* cmd_auth.c */
cmd_fn	cmd_list_available, cmd_list_running, cmd_status, cmd_ip; /* cmd_list.c */
cmd_fn	cmd_vm;						/* cmd_vm.c */
cmd_fn	cmd_info;					/* cmd_info.c */
cmd_fn	cmd_console;					/* worker_console.c */
cmd_fn	cmd_watch;					/* cmd_watch.c */

/*
 * A console or a watch outlives its request: the handler only begins it
 * (s_console, s_watch), and the session loop then hands the client over,
 * with the bytes that followed the request line in s_pending.
 */
/* cmd_watch.c: stream the watch until the client's line, then 300 DONE. */
void	watch_run(struct session *s);
/* worker_console.c: relay s->s_console until it ends, then 300 DONE. */
void	console_run(struct session *s);

#endif
