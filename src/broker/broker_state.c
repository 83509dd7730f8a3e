/*
 * broker_state.c: the bottom of the broker (root): the table of worker
 * channels, the configuration generations, the control socket to the
 * master, the published scan, and what any part of the broker does to a
 * channel: send, reply, close, have the worker stopped.
 *
 * Every other broker file calls into this one and it calls none of them.
 * A send that fails closes the channel, from whatever layer sent; what
 * the layers above hold for a channel (a console, a watch) is let go of
 * through the hook they registered (bchan_on_close), not by a call up.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "imap_write.h"
#include "instances_scan.h"
#include "log.h"
#include "util.h"

#define CHAN_SNDBUF	(256 * 1024)	/* a whole reply always fits */

struct bchan		*broker_chans[BROKER_MAX_CHANS];
struct bconf		*broker_confs;		/* newest first */
int			 broker_ctl = -1;
static unsigned long	 pub_version;
static int		 pub_flags = -1;
static void		(*on_close)(struct bchan *);

/* The broker's scan, published for the workers whenever it changed. */
const struct instances *
broker_scan(void)
{
	const struct instances	*m;
	int			 flags;

	/* Workers that see the watch's queue emptied see this flag first
	 * and ask us, until what we read is published (imap.c). */
	imap_scanning(1);
	m = instances_get(broker_confs->bc_conf->c_xen_dir);
	flags = m != NULL && instances_watchable() ? IMAP_F_WATCHABLE : 0;
	if (instances_version() != pub_version || flags != pub_flags) {
		if (imap_publish(m, (unsigned int)flags) != 0) {
			pub_version = instances_version();
			pub_flags = flags;
		}
	}
	imap_scanning(0);
	return (m);
}

/* Old generations go once their last worker has. */
void
broker_conf_gc(void)
{
	struct bconf	**pp = &broker_confs->bc_next, *bc;

	while ((bc = *pp) != NULL) {
		if (bc->bc_refs > 0) {
			pp = &bc->bc_next;
			continue;
		}
		*pp = bc->bc_next;
		config_free(bc->bc_conf);
		free(bc);
	}
}

void
bchan_add(const struct priv_ctl *c, int fd)
{
	struct bconf	*bc;
	struct bchan	*ch;
	int		 i, sz = CHAN_SNDBUF;

	for (i = 0; i < BROKER_MAX_CHANS && broker_chans[i] != NULL; i++)
		;
	if (i == BROKER_MAX_CHANS) {
		log_warnx("no room for worker %ld", (long)c->c_pid);
		close(fd);
		return;
	}
	for (bc = broker_confs; bc->bc_next != NULL && bc->bc_gen != c->c_generation;
	    bc = bc->bc_next)
		;
	if (bc->bc_gen != c->c_generation)
		bc = broker_confs;
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	ch = util_xcalloc(1, sizeof(*ch));
	broker_chans[i] = ch;
	ch->ch_index = i;
	ch->ch_fd = fd;
	ch->ch_jobfd = -1;
	ch->ch_pid = c->c_pid;
	ch->ch_slot = c->c_slot;
	ch->ch_bc = bc;
	bc->bc_refs++;
}

void
bchan_on_close(void (*fn)(struct bchan *))
{
	on_close = fn;
}

void
bchan_close(struct bchan *ch)
{
	/* Its console and its watch go first, while ch is still whole. */
	if (on_close != NULL)
		on_close(ch);
	if (ch->ch_fd == -1)
		return;
	close(ch->ch_fd);
	ch->ch_fd = -1;		/* freed by the loop, after this round */
	free(ch->ch_rbuf);
	ch->ch_rbuf = NULL;
	ch->ch_bc->bc_refs--;
	broker_conf_gc();
}

/* The worker broke the protocol: the master ends it; we stop listening. */
void
bchan_kill(struct bchan *ch, const char *why)
{
	struct priv_ctl	c;

	log_warnx("worker %ld: %s; stopping it", (long)ch->ch_pid, why);
	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_KILL;
	c.c_slot = ch->ch_slot;
	c.c_pid = ch->ch_pid;
	if (privmsg_send(broker_ctl, &c, sizeof(c), -1, 0) == -1)
		log_warn("cannot ask the master to stop worker %ld",
		    (long)ch->ch_pid);
	ch->ch_hup = 1;
	if (ch->ch_jobfd == -1)
		bchan_close(ch);
}

void
bchan_send(struct bchan *ch, const void *buf, size_t len, int fd)
{
	if (privmsg_send(ch->ch_fd, buf, len, fd, MSG_DONTWAIT) == 0)
		return;
	if (errno == EPIPE || errno == ECONNRESET)
		bchan_close(ch);		/* gone meanwhile */
	else
		bchan_kill(ch, "does not read its replies");
}

void
bchan_reply(struct bchan *ch, const struct priv_req *rq, int status,
    uint64_t seq, int fd)
{
	struct priv_rep	rep;

	memset(&rep, 0, sizeof(rep));
	rep.p_magic = PRIV_MAGIC;
	rep.p_type = rq->r_type;
	rep.p_status = (uint32_t)status;
	rep.p_seq = seq;
	bchan_send(ch, &rep, sizeof(rep), fd);
}
