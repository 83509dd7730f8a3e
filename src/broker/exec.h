/*
 * exec.h: running the toolstack safely (DESIGN.md section 5).  The only
 * place in argo-server that creates a process besides the master's forks.
 */
#ifndef ARGO_EXEC_H
#define ARGO_EXEC_H

#include <stddef.h>

#include "defs.h"

enum exec_outcome {
	EXEC_EXITED,		/* status holds the exit code */
	EXEC_SIGNALED,		/* status holds the signal number */
	EXEC_TIMEOUT,		/* killed after timeout_ms */
	EXEC_ERROR,		/* could not run at all; err[] says why */
};

struct exec_result {
	enum exec_outcome	outcome;
	int			status;
	long			ms;		/* wall time */
	char			out[ARGO_MAX_TOOL_OUTPUT];
	size_t			outlen;
	int			out_trunc;	/* more was read and dropped */
	char			err[ARGO_MAX_TOOL_OUTPUT];
	size_t			errlen;
	int			err_trunc;
};

/*
 * Run path (absolute; must be a regular executable file) with argv, which
 * is passed as is (argv[0] included).  The child gets stdin on /dev/null,
 * stdout and stderr on pipes, no other descriptor, the fixed environment
 * PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C LC_ALL=C, default signal
 * dispositions, an empty signal mask, its own process group.  Output beyond
 * the buffers is drained and dropped.  The result is ready once the child
 * has exited and been reaped; a background process the child leaves behind
 * holding the pipes does not delay it past a short drain.  After timeout_ms
 * the group gets SIGTERM, then SIGKILL after ARGO_KILL_GRACE_MS.  Returns 0
 * (see res->outcome), or -1 with res->outcome EXEC_ERROR and a reason in
 * res->err.
 */
int	exec_run(const char *path, char *const argv[], long timeout_ms,
	    struct exec_result *res);

/*
 * Whether path may be run: absolute, a regular file (after links), not
 * group or world writable, executable.  0, or -1 with the reason in err.
 */
int	exec_tool_ok(const char *path, char *err, size_t errlen);

/* Internal to exec*.c. */
struct exec_stream {
	int	 fd;		/* read end, -1 once at EOF */
	char	*buf;
	size_t	 cap;
	size_t	*len;
	int	*trunc;
};
/*
 * exec_io.c: poll() the open streams and, if pidfd != -1, the pidfd too
 * (only to wake up when the child exits), for at most wait_ms; read what
 * is ready.  Returns 1 if any bytes came, else 0.
 */
int	exec_pump(struct exec_stream *so, struct exec_stream *se, int pidfd,
	    long long wait_ms);
void	exec_close(int *fd);		/* close unless -1, then set -1 */
/* exec_child.c: the child, after fork(); never returns. */
void	exec_child(const char *path, char *const argv[], int nullfd,
	    int outfd, int errfd) __attribute__((noreturn));

/*
 * The one-line summary DESIGN.md section 2 asks for: the first non-empty
 * stderr line that is not xl progress chatter ("Parsing config from",
 * "Shutting down domain", "Rebooting domain", "Waiting for"), sanitised
 * (control bytes to '?', at most 200 bytes); else "exit status N" or
 * "killed by signal S".
 */
void	exec_summary(const struct exec_result *res, char *buf, size_t len);

#endif
