/*
 * log_relay.c: log lines of detached workers, carried to the master.
 *
 * A chrooted, filtered worker cannot keep a syslog connection: glibc's
 * syslog() reconnects with socket() and connect() when syslogd restarts,
 * and the filter kills on both.  So a worker sends each line as one
 * datagram ("<pri>message") to the master, which logs it.  The master's
 * end has SO_PASSCRED: the kernel attaches each sender's real pid, which
 * a worker cannot forge, and the line goes out as "argo-server[PID]:",
 * as if the worker had written it.  Senders block while the master's
 * queue is full: a line is delayed, never lost.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define RELAY_LINE	1100

int
log_relay_open(int sv[2])
{
	int	on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) ==
	    -1 || fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1) {
		close(sv[0]);
		close(sv[1]);
		return (-1);
	}
	/* Workers only send. */
	(void)shutdown(sv[1], SHUT_RD);
	return (0);
}

void
log_relay_send(int fd, int pri, const char *msg)
{
	char	line[RELAY_LINE];
	int	n;

	n = snprintf(line, sizeof(line), "%c%s", (char)('0' + (pri & 7)),
	    msg);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	while (send(fd, line, (size_t)n, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

void
log_relay_drain(int fd)
{
	static char	 tag[32];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*c;
	struct ucred	 cred;
	char		 line[RELAY_LINE + 1];
	ssize_t		 n;
	int		 pri;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = line;
		iov.iov_len = sizeof(line) - 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 1)
			return;
		cred.pid = 0;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_CREDENTIALS)
				memcpy(&cred, CMSG_DATA(c), sizeof(cred));
		line[n] = '\0';
		pri = line[0] >= '0' && line[0] <= '7' ? line[0] - '0' :
		    LOG_INFO;
		/* The worker's pid, as syslog(LOG_PID) would show it. */
		(void)snprintf(tag, sizeof(tag), "argo-server[%ld]",
		    (long)cred.pid);
		openlog(tag, LOG_NDELAY, LOG_DAEMON);
		syslog(pri, "%s", line + 1);
		openlog("argo-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}
