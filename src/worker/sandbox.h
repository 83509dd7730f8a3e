/*
 * sandbox.h: the cage an argo-worker enters before it touches a client:
 * chroot, no capabilities, no_new_privs, and a seccomp-BPF filter
 * (DESIGN.md 5.1, 5.2).  The unprivileged uid and gid, and no groups, it
 * already has from the master (master/spawn.c).
 */
#ifndef ARGO_SANDBOX_H
#define ARGO_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/* What the master made of us before the exec, as the handoff says. */
struct sandbox_ids {
	uid_t		 sid_uid;
	gid_t		 sid_gid;
	const char	*sid_chroot;	/* empty, root's, not writable */
};

/*
 * Enter the sandbox: with ids (started as root), chroot into its
 * directory, drop every capability and check the ids; then the filter.
 * On any failure the reason is in err and -1 returned (the caller exits:
 * a worker half in its cage must not serve).  After success the process
 * can no longer gain privileges, and a system call outside the worker's
 * list ends it with SIGSYS, its number stored in *report first (the
 * scoreboard, which the master reads when it reaps us).
 */
int	sandbox_enter(const struct sandbox_ids *ids, int *report, char *err,
	    size_t errlen);

/* The filter alone (no_new_privs, the SIGSYS reporter, seccomp): what
 * sandbox_enter() ends with, and what the unit tests load in a child. */
int	sandbox_filter(int *report, char *err, size_t errlen);

#endif
