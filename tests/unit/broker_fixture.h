/*
 * broker_fixture.h: a real broker for unit tests.  The test process plays
 * the master (it makes the instance map, forks the broker with a control
 * socket and seals the map) and, through fixture_channel(), any number of
 * workers.  The broker logs to logpath (or stderr when NULL).
 */
#ifndef ARGO_BROKER_FIXTURE_H
#define ARGO_BROKER_FIXTURE_H

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "imap_write.h"
#include "privmsg.h"

struct fixture {
	pid_t	f_broker;
	int	f_ctl;		/* the master's end */
};

static int
fixture_start(struct fixture *f, struct config *conf, const char *logpath)
{
	char	err[256];
	int	sv[2], fd;

	if (imap_create(err, sizeof(err)) == -1 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	if ((f->f_broker = fork()) == -1)
		return (-1);
	if (f->f_broker == 0) {
		close(sv[0]);
		if (logpath != NULL && (fd = open(logpath, O_WRONLY |
		    O_CREAT | O_APPEND, 0600)) != -1) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		broker_main(conf, sv[1]);
	}
	close(sv[1]);
	f->f_ctl = sv[0];
	return (imap_seal(err, sizeof(err)));
}

/* A new worker channel, introduced as (slot, pid); returns our end. */
static int
fixture_channel(struct fixture *f, int slot, pid_t pid)
{
	struct priv_ctl	c;
	int		sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_WORKER;
	c.c_slot = slot;
	c.c_pid = pid;
	if (privmsg_send(f->f_ctl, &c, sizeof(c), sv[1], 0) == -1)
		return (-1);
	close(sv[1]);
	return (sv[0]);
}

static void
fixture_stop(struct fixture *f)
{
	int	st;

	kill(f->f_broker, SIGTERM);
	waitpid(f->f_broker, &st, 0);
	close(f->f_ctl);
}

#endif
