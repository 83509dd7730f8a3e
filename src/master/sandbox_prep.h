/*
 * sandbox_prep.h: what the master decides of its workers' cage (the cage
 * itself is the worker's own, src/worker/sandbox.h): the account they
 * run as and their root directory.
 */
#ifndef ARGO_SANDBOX_PREP_H
#define ARGO_SANDBOX_PREP_H

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
 * At start-up and on every reload: the cage for c's workers.  As root:
 * c's user (or nobody, with a warning the first time, when it does not
 * exist; never root) and c's chroot, made when missing, which must be an
 * empty directory of root's that nobody else may write.  Not as root:
 * nothing to drop, and the filter only.  -1 with the reason in err.
 */
int	sandbox_prepare(const struct config *c, struct sandbox *sb, char *err,
	    size_t errlen);

/* A name for a system call number, for the log ("execve"), or NULL. */
const char *sandbox_syscall_name(int nr);

#endif
