/*
 * argo.h: what every part of the argo client shares: its limits, exit
 * statuses, a host, a request and the options.  The wire limits come from
 * the daemon's own defs.h, so that client and server cannot disagree.
 */
#ifndef ARGO_CLIENT_H
#define ARGO_CLIENT_H

#include <stddef.h>

#include "defs.h"

/* Exit statuses (argo(1) EXIT STATUS): the highest one wins. */
#define ARGO_EXIT_OK		0	/* every host answered 200 */
#define ARGO_EXIT_REFUSED	1	/* some host answered 400 */
#define ARGO_EXIT_UNREACHABLE	2	/* some host was not reached in time */
#define ARGO_EXIT_USAGE		64	/* EX_USAGE: bad use, nothing sent */
#define ARGO_EXIT_OSERR		71	/* EX_OSERR: a local system failure */

#define ARGO_CLIENT_JOBS	32	/* -j: connections in flight */
#define ARGO_CLIENT_MAX_JOBS	4096
#define ARGO_CLIENT_TIMEOUT	30	/* -t: seconds per host */
#define ARGO_CLIENT_MAX_TIMEOUT	86400
#define ARGO_CLIENT_MAX_HOSTS	65536	/* from the command line and -H */
#define ARGO_CLIENT_MAX_SPEC	255	/* bytes of one host as written */
#define ARGO_CLIENT_MAX_RLINE	(128 * 1024)	/* one reply line */
#define ARGO_CLIENT_MAX_REPLY	(16 * 1024 * 1024)	/* held per host */
#define ARGO_CLIENT_ERR		256	/* error message buffers */
#define ARGO_CLIENT_MAX_UNIX	108	/* sun_path, with its NUL */

/* Ctrl-]: ends a console (DESIGN.md section 3). */
#define ARGO_CONSOLE_ESCAPE	0x1d

/* How a host is reached (DESIGN.md 8). */
enum host_kind {
	HOST_TCP = 0,		/* name, address, name:port, [v6]:port */
	HOST_UNIX,		/* unix:PATH, and -l */
	HOST_SSH,		/* ssh://[USER@]HOST[:PORT]: `ssh HOST argo -R` */
};

/* The local daemon's socket: -l, and `argo -R` at the far end of ssh. */
#define ARGO_DEFAULT_SOCKET	"/run/argo-server/argo.sock"

/* One host as the user wrote it, and what to connect to. */
struct host {
	char	*h_spec;	/* as written: the output prefix */
	char	*h_name;	/* name or address, without brackets; the
				   socket's path for HOST_UNIX */
	char	 h_port[6];	/* decimal; "" for ssh without a port */
	int	 h_numeric;	/* an address literal: no lookup */
	enum host_kind h_kind;
	char	*h_user;	/* ssh's login name, or NULL */
};

/* What to send: the command line and, with -u, the account. */
struct request {
	const char	*rq_line;	/* the command, no line end */
	size_t		 rq_len;
	const char	*rq_user;	/* NULL: no auth */
	const char	*rq_pass;
};

struct opts {
	int	o_jobs;
	int	o_timeout;	/* seconds */
	int	o_ordered;	/* -o: output in host order */
};

/* The protocol's blanks and bad bytes (DESIGN.md section 2). */
int	argo_is_blank(int c);
int	argo_is_ctl(int c);
/*
 * Server text made safe to show on a terminal: C0 controls but TAB, DEL,
 * C1 controls (raw 0x80-0x9f outside a valid UTF-8 sequence, and U+0080-
 * U+009F encoded) and the bidi embeddings, overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) each become one `?`; the rest, valid
 * UTF-8 or not, is kept.  Writes to dst (which may be src: the text only
 * shrinks) and returns the new length.
 */
size_t	argo_safe_text(char *dst, const char *src, size_t len);
/*
 * "auth USER PASSWORD\n", malloc'd, *len its length; it holds the
 * password: free it with xfree_secret(line, *len).
 */
char	*argo_auth_line(const char *user, const char *pass, size_t *len);

#endif
