/*
 * privmsg.c: encoding and checking the messages of privilege separation
 * (privmsg.h).  Used by all three kinds of process; the request decoder is
 * what the broker stands behind, so it is strict: the exact size, the
 * magic, a known type, every field either valid for that type or zero, and
 * strings NUL-terminated and zero-padded.  An honest worker always sends
 * exactly that; anything else is a worker gone bad.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privmsg.h"
#include "xencfg.h"

void
privmsg_req_init(struct priv_req *rq, enum priv_type type)
{
	memset(rq, 0, sizeof(*rq));
	rq->r_magic = PRIV_MAGIC;
	rq->r_type = (uint32_t)type;
}

/* A string field: NUL-terminated, nothing after the NUL. Its length or -1. */
static long
field(const char *f, size_t size)
{
	const char	*nul = memchr(f, '\0', size);
	size_t		 i;

	if (nul == NULL)
		return (-1);
	for (i = (size_t)(nul - f); i < size; i++)
		if (f[i] != '\0')
			return (-1);
	return ((long)(nul - f));
}

static int
printable(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return (0);
	return (1);
}

/* What the line reader lets through into a word: no control bytes. */
static int
wordbytes(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
			return (0);
	return (1);
}

/* The operand a verb takes: a number in its range, or none at all. */
static int
number_ok(uint32_t verb, int64_t n)
{
	switch (verb) {
	case PV_MEMSET:
		return (n >= PRIV_MEMSET_MIN && n <= PRIV_MEMSET_MAX);
	case PV_VCPUSET:
		return (n >= PRIV_VCPUSET_MIN && n <= PRIV_VCPUSET_MAX);
	default:
		return (n == 0);
	}
}

#define BAD(msg) do {						\
	(void)snprintf(why, whylen, "%s", (msg));		\
	return (-1);						\
} while (0)

int
privmsg_decode_req(const void *buf, size_t len, struct priv_req *rq,
    char *why, size_t whylen)
{
	long	user, name, pw;
	size_t	tail;
	int	wants_name;

	if (len != sizeof(*rq))
		BAD(len < sizeof(*rq) ? "short request" : "oversized request");
	memcpy(rq, buf, sizeof(*rq));
	/* The struct's tail padding too: a request has no unchecked byte. */
	for (tail = offsetof(struct priv_req, r_password) +
	    sizeof(rq->r_password); tail < sizeof(*rq); tail++)
		if (((const unsigned char *)buf)[tail] != 0)
			BAD("padding not zero");
	if (rq->r_magic != PRIV_MAGIC)
		BAD("bad magic");
	if (rq->r_type < PRIV_AUTH || rq->r_type >= PRIV_TYPE_MAX)
		BAD("unknown request type");
	user = field(rq->r_user, sizeof(rq->r_user));
	name = field(rq->r_name, sizeof(rq->r_name));
	pw = field(rq->r_password, sizeof(rq->r_password));
	if (user < 0 || name < 0 || pw < 0)
		BAD("unterminated or unpadded string");
	if (rq->r_type != PRIV_CONSOLE_END && rq->r_number2 != 0)
		BAD("bad number");
	if (rq->r_type != PRIV_CONTROL && rq->r_type != PRIV_CONSOLE_END &&
	    rq->r_number != 0)
		BAD("bad number");
	if (rq->r_type != PRIV_CONTROL && rq->r_verb != 0)
		BAD("verb outside a control request");
	if (rq->r_type != PRIV_AUTH && (user != 0 || pw != 0))
		BAD("credentials outside an auth request");
	wants_name = rq->r_type == PRIV_RESOLVE || rq->r_type == PRIV_CONTROL ||
	    rq->r_type == PRIV_CONSOLE;
	if (!wants_name && name != 0)
		BAD("instance name where none belongs");
	if (wants_name && !xencfg_name_valid(rq->r_name, (size_t)name))
		BAD("bad instance name");

	switch (rq->r_type) {
	case PRIV_AUTH:
		if (rq->r_flags & ~(uint32_t)PRIV_F_AUTH_ALL)
			BAD("bad flags");
		if (user == 0 || !printable(rq->r_user, (size_t)user))
			BAD("bad user name");
		if (!(rq->r_flags & PRIV_F_BADUSER) &&
		    !xencfg_name_valid(rq->r_user, (size_t)user))
			BAD("bad user name");
		if ((rq->r_flags & PRIV_F_LONGPW) && pw != 0)
			BAD("password with the too-long flag");
		if (!wordbytes(rq->r_password, (size_t)pw))
			BAD("bad password bytes");
		break;
	case PRIV_CONTROL:
		if (rq->r_verb < PV_CREATE || rq->r_verb >= PV_VERB_MAX)
			BAD("unknown verb");
		if (!number_ok(rq->r_verb, rq->r_number))
			BAD("bad number");
		if (rq->r_flags != 0)
			BAD("bad flags");
		break;
	case PRIV_CONSOLE_END:
		if (rq->r_number < 0 || rq->r_number2 < 0)
			BAD("bad byte count");
		/* FALLTHROUGH */
	default:
		if (rq->r_flags != 0)
			BAD("bad flags");
		break;
	}
	return (0);
}

int
privmsg_check_rep(const void *buf, size_t len, enum priv_type type)
{
	struct priv_rep	h;

	if (len < sizeof(h) || len > PRIV_REP_MAX)
		return (-1);
	memcpy(&h, buf, sizeof(h));
	if (h.p_magic != PRIV_MAGIC || h.p_type != (uint32_t)type ||
	    h.p_status < PRIV_OK || h.p_status >= PRIV_STATUS_MAX ||
	    h.p_outlen != len - sizeof(h) ||
	    field(h.p_summary, sizeof(h.p_summary)) < 0)
		return (-1);
	return (0);
}

int
privmsg_check_ctl(const void *buf, size_t len, struct priv_ctl *c)
{
	if (len != sizeof(*c))
		return (-1);
	memcpy(c, buf, sizeof(*c));
	if (c->c_magic != PRIV_MAGIC || c->c_type < CTL_WORKER ||
	    c->c_type >= CTL_TYPE_MAX || c->c_slot < 0 || c->c_pid <= 0)
		return (-1);
	return (0);
}

int
privmsg_send(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

long
privmsg_recv(int sock, void *buf, size_t len, int *fdp, int flags)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 fd, kept = -1;
	size_t		 i, nfd;

	if (fdp != NULL)
		*fdp = -1;
	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	/* Keep the first descriptor that came; close any other. */
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (kept == -1 && fdp != NULL)
				kept = fd;
			else
				(void)close(fd);
		}
	}
	if (fdp != NULL)
		*fdp = kept;
	/* Cut short (or control data lost): longer than any valid one. */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return ((long)len + 1);
	return ((long)n);
}

const char *
privmsg_verb_name(uint32_t verb)
{
	static const char *const names[PV_VERB_MAX] = {
		NULL, "create", "shutdown", "reboot", "destroy", "pause",
		"unpause", "mem-set", "vcpu-set",
	};

	return (verb < PV_VERB_MAX ? names[verb] : NULL);
}

const char *
privmsg_type_name(const struct priv_req *rq)
{
	static const char *const names[PRIV_TYPE_MAX] = {
		NULL, "auth", "scan", "list", "resolve", NULL, "info",
		"console", "console-end", "watch", "watch-next", "watch-end",
		"whoami",
	};

	if (rq->r_type == PRIV_CONTROL)
		return (privmsg_verb_name(rq->r_verb));
	return (rq->r_type < PRIV_TYPE_MAX ? names[rq->r_type] : NULL);
}
