/*
 * privmsg.h: the messages of privilege separation.  Workers send the broker
 * fixed-size requests (struct priv_req) over their own SOCK_SEQPACKET
 * socketpair and get one reply each (struct priv_rep and a bounded
 * payload); the master and the broker exchange struct priv_ctl, with a
 * descriptor attached where one is handed over.  Both sides check every
 * message they get; the broker treats a malformed request as an attack.
 */
#ifndef ARGO_PRIVMSG_H
#define ARGO_PRIVMSG_H

#include <stddef.h>
#include <stdint.h>

#include "defs.h"

#define PRIV_MAGIC	0x41524731u	/* "ARG1" */
#define PRIV_PEER_MAX	64		/* the peer, as the broker logs it */
#define PRIV_SUMMARY_MAX 256
/* The ranges of mem-set (MiB) and vcpu-set (vCPUs), DESIGN.md 3. */
#define PRIV_MEMSET_MIN	16
#define PRIV_MEMSET_MAX	4194304
#define PRIV_VCPUSET_MIN 1
#define PRIV_VCPUSET_MAX 512

/* What a worker may ask.  Nothing else exists. */
enum priv_type {
	PRIV_AUTH = 1,		/* r_user, r_password: log the session in */
	PRIV_SCAN,		/* freshen the instance map */
	PRIV_LIST,		/* TOOL list: the running domains */
	PRIV_RESOLVE,		/* r_name's addresses */
	PRIV_CONTROL,		/* r_verb on instance r_name (r_number) */
	PRIV_INFO,		/* TOOL info: the host's facts */
	PRIV_CONSOLE,		/* attach to r_name's console: a pty back */
	PRIV_CONSOLE_END,	/* detached: r_number bytes in, r_number2 out */
	PRIV_WATCH,		/* join the watchers of state changes */
	PRIV_WATCH_NEXT,	/* the next lines: answered when there are some */
	PRIV_WATCH_END,		/* leave the watchers (a NEXT held is answered) */
	PRIV_WHOAMI,		/* a socket session's account, from its uid:
				   the name as payload, none: anonymous */
	PRIV_TYPE_MAX
};

/*
 * A watch is still one reply per request, so the channel never holds more
 * than one reply the worker did not ask for: WATCH joins (PRIV_OK at once),
 * then the worker keeps one WATCH_NEXT asked, which the broker holds until
 * it has lines for that session (whole LF-ended lines, at most PRIV_OUT_MAX
 * bytes a reply; PRIV_OVERRUN when they piled up past its bound unasked).
 * WATCH_END may come while a NEXT is held: the NEXT is answered first.
 */

/* The verbs of PRIV_CONTROL; the broker maps each to its own argv. */
enum priv_verb {
	PV_CREATE = 1,		/* TOOL create CFGFILE */
	PV_SHUTDOWN,
	PV_REBOOT,
	PV_DESTROY,
	PV_PAUSE,
	PV_UNPAUSE,
	PV_MEMSET,		/* TOOL mem-set NAME <r_number>m */
	PV_VCPUSET,		/* TOOL vcpu-set NAME <r_number> */
	PV_VERB_MAX
};

/* r_flags */
/* 0x01 was SCAN's "send me an inotify watch": refused since issue 17 */
#define PRIV_F_BADUSER	0x02	/* AUTH: r_user is only a sanitised copy of a
				   name no account can have */
#define PRIV_F_LONGPW	0x04	/* AUTH: the password was longer than any
				   valid one (r_password is empty) */
#define PRIV_F_AUTH_ALL	(PRIV_F_BADUSER | PRIV_F_LONGPW)

/*
 * A session's first request carries its client socket (SCM_RIGHTS) and no
 * other does: the broker takes the peer it logs and counts from the
 * kernel (getpeername, SO_PEERCRED), never from a worker's word.
 */
struct priv_req {
	uint32_t	r_magic;
	uint32_t	r_type;
	uint32_t	r_verb;
	uint32_t	r_flags;
	uint64_t	r_session;	/* the worker's session number */
	int64_t		r_number;	/* mem-set MiB, vcpu-set count, bytes in */
	int64_t		r_number2;	/* console end: bytes out; else 0 */
	char		r_user[ARGO_MAX_NAME + 1];
	char		r_name[ARGO_MAX_NAME + 1];
	char		r_password[ARGO_MAX_PASSWORD + 1];
};

/* The broker's answers. */
enum priv_status {
	PRIV_OK = 1,		/* payload: stdout, addresses, or nothing */
	PRIV_FAILED,		/* toolstack failed: p_summary */
	PRIV_TIMEOUT,		/* toolstack ran past its timeout */
	PRIV_ERROR,		/* toolstack could not be run */
	PRIV_BADAUTH,		/* wrong user or password */
	PRIV_NOAUTH,		/* needs an account */
	PRIV_DENIED,		/* the account may not */
	PRIV_NOSUCH,		/* no such instance for this account */
	PRIV_NOTRUNNING,	/* console: the instance is not running */
	PRIV_BUSY,		/* console: another session is attached */
	PRIV_OVERRUN,		/* watch: lines piled up unasked; it is over */
	PRIV_STATUS_MAX
};

struct priv_rep {
	uint32_t	p_magic;
	uint32_t	p_type;		/* the request's */
	uint32_t	p_status;
	uint32_t	p_outlen;	/* payload bytes after this header */
	uint64_t	p_seq;		/* SCAN: the map's sequence number */
	char		p_summary[PRIV_SUMMARY_MAX];
};

#define PRIV_OUT_MAX	ARGO_MAX_TOOL_OUTPUT
#define PRIV_REP_MAX	(sizeof(struct priv_rep) + PRIV_OUT_MAX)

/* Master <-> broker. */
enum priv_ctl_type {
	CTL_WORKER = 1,		/* master: a new worker; fd: its channel */
	CTL_RELOAD,		/* master: new configuration; fd: its bytes */
	CTL_KILL,		/* broker: this worker misbehaved, end it */
	CTL_TYPE_MAX
};

struct priv_ctl {
	uint32_t	c_magic;
	uint32_t	c_type;
	int32_t		c_slot;
	int32_t		c_pid;
	int64_t		c_generation;
	uint64_t	c_len;		/* CTL_RELOAD: bytes in the memfd */
};

/* A zeroed request of this type, with the magic set. */
void	privmsg_req_init(struct priv_req *rq, enum priv_type type);
/*
 * Check len bytes from a worker and copy them to *rq: exactly one request
 * of a known type, every string NUL-terminated and zero-padded in its
 * field, every field valid for the type.  0, or -1 with why set.
 */
int	privmsg_decode_req(const void *buf, size_t len, struct priv_req *rq,
	    char *why, size_t whylen);
/* Check a reply of len bytes to a request of type: 0 or -1. */
int	privmsg_check_rep(const void *buf, size_t len, enum priv_type type);
int	privmsg_check_ctl(const void *buf, size_t len, struct priv_ctl *c);

/* sendmsg/recvmsg of one message with at most one descriptor (fd -1:
 * none).  recv: the length, 0 at EOF, -1 on error; *fdp -1 when none came. */
int	privmsg_send(int sock, const void *buf, size_t len, int fd, int flags);
long	privmsg_recv(int sock, void *buf, size_t len, int *fdp, int flags);

const char *privmsg_verb_name(uint32_t verb);
/* "list", "console", ... or the verb for a control request (for logs). */
const char *privmsg_type_name(const struct priv_req *rq);

#endif
