/*
 * transport_ssh.c: the ssh command line of an ssh:// host.
 *
 *	ssh -T -o BatchMode=yes [sharing] [-l USER] [-p PORT] HOST argo -R
 *
 * -T: no terminal, the bytes pass as they are (a console too).
 * BatchMode: keys or an agent, never a prompt: in a fleet of 64 a password
 * or host-key question would hang the run; a host whose key fails is that
 * host's error.  ARGO_SSH replaces `ssh` and its leading options, as
 * GIT_SSH_COMMAND does for git, split at blanks (no shell, no quoting).
 *
 * Sharing: repeated fleet commands would pay a key exchange per host per
 * run; OpenSSH's ControlMaster/ControlPersist keeps one connection per
 * host for a minute in a private 0700 directory
 * ($XDG_RUNTIME_DIR/argo-ssh, else /tmp/argo-ssh-UID).  Not added when
 * ARGO_SSH or the ssh configuration it reads mentions ControlMaster,
 * ControlPath or -S: the user decided (ARGO_SSH="ssh -S none" turns it
 * off), and not when the directory is not ours alone.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "transport.h"
#include "xutil.h"

#define MAX_WORDS	64
#define PERSIST		"60"

void
argv_free(char **argv)
{
	size_t	i;

	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Does this word (an ARGO_SSH word or a config line) decide sharing? */
static int
mentions_control(const char *s)
{
	return (strcasestr(s, "controlmaster") != NULL ||
	    strcasestr(s, "controlpath") != NULL);
}

/* A line of an ssh config file, not a comment, that mentions sharing. */
static int
file_decides(const char *path)
{
	FILE	*f;
	char	 line[1024];
	size_t	 i;
	int	 yes = 0;

	if ((f = fopen(path, "re")) == NULL)
		return (0);
	while (!yes && fgets(line, sizeof(line), f) != NULL) {
		for (i = 0; isspace((unsigned char)line[i]); i++)
			;
		yes = line[i] != '#' && mentions_control(line + i);
	}
	(void)fclose(f);
	return (yes);
}

/* Was sharing decided by the user?  words: ARGO_SSH's, or NULL. */
static int
user_decides(char **words, size_t n)
{
	const char	*home = getenv("HOME");
	char		 path[4096];
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (mentions_control(words[i]) ||
		    strncmp(words[i], "-S", 2) == 0)
			return (1);
		/* -F FILE: ssh reads that file instead of ~/.ssh/config. */
		if (strcmp(words[i], "-F") == 0 && i + 1 < n)
			return (file_decides(words[i + 1]));
		if (strncmp(words[i], "-F", 2) == 0 && words[i][2] != '\0')
			return (file_decides(words[i] + 2));
	}
	if (home != NULL && snprintf(path, sizeof(path), "%s/.ssh/config",
	    home) < (int)sizeof(path) && file_decides(path))
		return (1);
	return (file_decides("/etc/ssh/ssh_config"));
}

/* The private directory for the control sockets, or NULL. */
static const char *
control_dir(void)
{
	static char	 dir[256];
	static int	 done;
	const char	*rt = getenv("XDG_RUNTIME_DIR");
	struct stat	 st;

	if (done)
		return (dir[0] != '\0' ? dir : NULL);
	done = 1;
	if (rt != NULL && rt[0] == '/')
		(void)snprintf(dir, sizeof(dir), "%s/argo-ssh", rt);
	else
		(void)snprintf(dir, sizeof(dir), "/tmp/argo-ssh-%lu",
		    (unsigned long)getuid());
	/* Someone else's, or open to others: their sockets would be ours. */
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077) != 0)
		dir[0] = '\0';
	return (dir[0] != '\0' ? dir : NULL);
}

static void
add(char **argv, size_t *n, const char *s)
{
	if (*n < MAX_WORDS * 2 - 1)
		argv[(*n)++] = xstrdup(s);
}

char **
transport_ssh_argv(const struct host *h)
{
	const char	*env = getenv("ARGO_SSH"), *dir;
	char		**argv, *copy, *tok, *save = NULL, opt[300];
	size_t		 n = 0, nwords;

	argv = xmalloc(sizeof(char *) * MAX_WORDS * 2);
	if (env != NULL && env[strspn(env, " \t")] != '\0') {
		copy = xstrdup(env);
		for (tok = strtok_r(copy, " \t", &save); tok != NULL &&
		    n < MAX_WORDS; tok = strtok_r(NULL, " \t", &save))
			add(argv, &n, tok);
		free(copy);
	} else
		add(argv, &n, "ssh");
	nwords = n;
	add(argv, &n, "-T");
	add(argv, &n, "-o");
	add(argv, &n, "BatchMode=yes");
	if (!user_decides(argv + 1, nwords - 1) && (dir = control_dir()) !=
	    NULL && snprintf(opt, sizeof(opt), "ControlPath=%s/%%C", dir) <
	    (int)sizeof(opt)) {
		add(argv, &n, "-o");
		add(argv, &n, "ControlMaster=auto");
		add(argv, &n, "-o");
		add(argv, &n, opt);
		add(argv, &n, "-o");
		add(argv, &n, "ControlPersist=" PERSIST);
	}
	if (h->h_user != NULL) {
		add(argv, &n, "-l");
		add(argv, &n, h->h_user);
	}
	if (h->h_port[0] != '\0') {
		add(argv, &n, "-p");
		add(argv, &n, h->h_port);
	}
	add(argv, &n, h->h_name);
	add(argv, &n, "argo");
	add(argv, &n, "-R");
	argv[n] = NULL;
	return (argv);
}
