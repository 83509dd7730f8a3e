/*
 * broker_peer.c: who is on the other end of a session, from the kernel.
 * Runs in the broker (root).  A worker hands over its client socket with
 * the session's first request; the broker asks the kernel for the peer
 * (getpeername, or SO_PEERCRED on a UNIX socket) and closes its copy at
 * once.  A compromised worker can pass some other descriptor it holds, but
 * only a socket whose peer the kernel names is believed: anything else
 * makes the peer "unknown", never a text the worker chose.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "util.h"

void
bpeer_learn(struct bchan *ch, int fd)
{
	struct sockaddr_storage	 ss;
	struct ucred		 cr;
	struct stat		 st;
	socklen_t		 len = sizeof(ss), crlen = sizeof(cr);
	int			 type = 0;
	socklen_t		 tlen = sizeof(type);

	memset(&ch->ch_peer_ss, 0, sizeof(ch->ch_peer_ss));
	ch->ch_peer_uid = -1;
	util_strlcpy(ch->ch_peer, "unknown", sizeof(ch->ch_peer));
	memset(&ss, 0, sizeof(ss));
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
	    type != SOCK_STREAM ||
	    getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		goto done;
	switch (ss.ss_family) {
	case AF_INET:
	case AF_INET6:
		memcpy(&ch->ch_peer_ss, &ss, sizeof(ss));
		util_addrstr((const struct sockaddr *)&ss, len, ch->ch_peer,
		    sizeof(ch->ch_peer));
		break;
	case AF_UNIX:
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) ==
		    -1 || crlen != sizeof(cr))
			break;
		ch->ch_peer_ss.ss_family = AF_UNIX;
		ch->ch_peer_uid = (long)cr.uid;
		(void)snprintf(ch->ch_peer, sizeof(ch->ch_peer), "unix:%lu",
		    (unsigned long)cr.uid);
		break;
	default:
		break;
	}
done:
	close(fd);
}
