/*
 * sandbox.h: the cage a worker enters right after fork, before it touches
 * a client: chroot, no groups, an unprivileged uid and gid, no
 * capabilities, no_new_privs, and a seccomp-BPF filter (DESIGN.md 5.1).
 */
#ifndef ARGO_SANDBOX_H
#define ARGO_SANDBOX_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct sandbox {
	int		 sb_drop;	/* started as root: chroot and setuid */
	uid_t		 sb_uid;
	gid_t		 sb_gid;
	char		 sb_user[64];	/* for the log */
	char		 sb_chroot[PATH_MAX];	/* empty, root's, not writable */
};

/*
 * Enter the sandbox; on any failure the reason is in err and -1 returned
 * (the caller exits: a worker half in its cage must not serve).  After
 * success the process can no longer gain privileges, and a system call
 * outside the worker's list ends it with SIGSYS, its number stored in
 * *report first (shared memory the master reads when it reaps us).
 */
int	sandbox_enter(const struct sandbox *sb, int *report, char *err,
	    size_t errlen);

/* The filter alone (no_new_privs, the SIGSYS reporter, seccomp): what
 * sandbox_enter() ends with, and what the unit tests load in a child. */
int	sandbox_filter(int *report, char *err, size_t errlen);

/*
 * The master, at start-up and on every reload: the cage for c's workers.
 * As root: c's user (or nobody, with a warning the first time, when it
 * does not exist; never root) and c's chroot, made when missing, which must
 * be an empty directory of root's that nobody else may write.  Not as
 * root: nothing to drop, and the filter only.  -1 with the reason in err.
 */
int	sandbox_prepare(const struct config *c, struct sandbox *sb, char *err,
	    size_t errlen);

/* A name for a system call number, for the log ("execve"), or NULL. */
const char *sandbox_syscall_name(int nr);

#endif
