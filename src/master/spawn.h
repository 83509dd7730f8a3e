/*
 * spawn.h: how the master starts a worker: fork, then exec argo-worker
 * (DESIGN.md 5.2) with the descriptors and the memfd of handoff.h.
 */
#ifndef ARGO_SPAWN_H
#define ARGO_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"
#include "listener.h"
#include "sandbox_prep.h"

/*
 * At start-up: find argo-worker (beside our own executable, as in a build
 * tree, else ARGO_WORKER_PATH) and hold it open, so that every worker is
 * the program that was there at start-up even when a package upgrade
 * replaces the file.  0, or -1 with "PATH: reason" in err.
 */
int	spawn_init(char *err, size_t errlen);
/* The path spawn_init() took, for messages. */
const char *spawn_path(void);
/*
 * At start-up and on each reload: what the workers of generation gen will
 * read (handoff.h), from c, sb and the listeners, in a new sealed memfd:
 * its descriptor, or -1 with the reason in err.  Once the generation is
 * in force, spawn_commit() makes it the one new workers get (and closes
 * the previous one); until then nothing changes.
 */
int	spawn_prepare(const struct config *c, const struct sandbox *sb,
	    const struct listeners *l, int gen, char *err, size_t errlen);
void	spawn_commit(int fd, const struct sandbox *sb,
	    const struct listeners *l);

/* The descriptors a worker is handed, from the master's own. */
struct spawn_fds {
	int	sf_board;
	int	sf_broker;	/* the worker's end of its channel */
	int	sf_notify;
	int	sf_relay;
	int	sf_stop;	/* the stop pipe's read end */
};

/*
 * The child, started as root, before the exec: into sb's directory, then
 * sb's uid and gid with no groups, keeping CAP_SYS_CHROOT and CAP_SETPCAP
 * (effective now, ambient across the exec) for the worker's own
 * sandbox_enter().  0, or -1 with errno.
 */
int	spawn_become(const struct sandbox *sb);

/* Fork a worker for slot: its pid, or -1 (fork failed, logged).  In the
 * child, with no return: the exec, or _exit(SPAWN_EXEC_FAILED). */
pid_t	spawn_worker(int slot, const struct spawn_fds *fds);
#define SPAWN_EXEC_FAILED	127

#endif
