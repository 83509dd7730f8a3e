/*
 * broker_chan.c: the broker's side of one worker's channel.  Runs in the
 * broker (root).  A request is read and decoded strictly (privmsg.c): a
 * malformed one, one that carries a descriptor, or a worker that does not
 * read its replies gets the worker stopped by the master.  A well-formed
 * one is checked (broker_job.c), then done in a child of the broker's,
 * whose reply comes back on a pipe; the broker notes a successful login
 * before it forwards the reply.  Consoles and watches are handed to their
 * own files, above broker_state.c (the channel table, send and close),
 * which is why closing a channel reaches them through a hook.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "broker_auth.h"
#include "imap.h"
#include "job_child.h"
#include "log.h"
#include "util.h"

/*
 * What a closing channel holds above broker_state.c: a console is let go
 * (its tool stopped, reaped later), then the watch.  Registered with
 * bchan_on_close() by bchan_init().
 */
static void
chan_release(struct bchan *ch)
{
	if (ch->ch_con_pid != 0) {
		ch->ch_hup = 1;
		bcon_stop(ch);
	}
	bwatch_leave(ch);
}

void
bchan_init(void)
{
	bchan_on_close(chan_release);
}

/* Freshen the map.  No descriptor goes back: a worker polls the broker's
 * one watch through the instance map's signal (imap.c). */
static void
do_scan(struct bchan *ch, const struct priv_req *rq)
{
	(void)broker_scan();
	bchan_reply(ch, rq, PRIV_OK, imap_seq(), -1);
}

/* Tell the worker what the broker believes: the session's account, from
 * the broker's own state (an auth, or the socket's uid), or none. */
static void
do_whoami(struct bchan *ch, const struct priv_req *rq)
{
	struct {
		struct priv_rep	h;
		char		name[ARGO_MAX_NAME];
	} r;
	size_t	len = 0;

	memset(&r, 0, sizeof(r));
	r.h.p_magic = PRIV_MAGIC;
	r.h.p_type = rq->r_type;
	r.h.p_status = PRIV_OK;
	if (ch->ch_user != NULL) {
		len = strlen(ch->ch_user->u_name);
		if (len > sizeof(r.name))
			len = 0;	/* config.c allows none that long */
		memcpy(r.name, ch->ch_user->u_name, len);
	}
	r.h.p_outlen = (uint32_t)len;
	bchan_send(ch, &r, sizeof(r.h) + len, -1);
}

struct job_arg {
	const struct bchan	*ch;
	const struct priv_req	*rq;
	const struct instance	*inst;
};

static size_t
job_child(const void *arg, unsigned char *buf)
{
	const struct job_arg	*a = arg;

	return (job_run(a->ch, a->rq, a->inst, buf));
}

static void
job_start(struct bchan *ch, const struct priv_req *rq,
    const struct instance *inst)
{
	struct job_arg	a = { ch, rq, inst };
	pid_t		pid;
	int		fd;

	if ((pid = job_child_start(job_child, &a, &fd)) == -1) {
		log_warn("cannot start a job");
		bchan_reply(ch, rq, PRIV_ERROR, 0, -1);
		return;
	}
	ch->ch_job = pid;
	ch->ch_jobfd = fd;
	ch->ch_rq = *rq;
	ch->ch_rbuf = util_xmalloc(PRIV_REP_MAX + 1);
	ch->ch_rlen = 0;
	ch->ch_deadline = util_now_ms() + job_limit_ms(ch, rq);
}

static void
job_done(struct bchan *ch)
{
	const struct priv_req	*rq = &ch->ch_rq;
	struct priv_rep		 rep;

	close(ch->ch_jobfd);
	ch->ch_jobfd = -1;
	if (privmsg_check_rep(ch->ch_rbuf, ch->ch_rlen, rq->r_type) == -1) {
		/* The child died or was stopped before it answered. */
		memset(&rep, 0, sizeof(rep));
		rep.p_magic = PRIV_MAGIC;
		rep.p_type = rq->r_type;
		rep.p_status = PRIV_ERROR;
		memcpy(ch->ch_rbuf, &rep, sizeof(rep));
		ch->ch_rlen = sizeof(rep);
	}
	memcpy(&rep, ch->ch_rbuf, sizeof(rep));
	if (rq->r_type == PRIV_AUTH)
		auth_done(ch, rq, (int)rep.p_status);	/* the brake counts */
	if (rq->r_type == PRIV_AUTH && rep.p_status == PRIV_OK)
		ch->ch_user = config_user(ch->ch_bc->bc_conf, rq->r_user);
	if (rq->r_type == PRIV_CONSOLE && (rep.p_status != PRIV_OK ||
	    ch->ch_hup))
		ch->ch_con_name[0] = '\0';	/* not attached after all */
	if (ch->ch_hup) {
		bchan_close(ch);
		return;
	}
	if (rq->r_type == PRIV_CONSOLE && rep.p_status == PRIV_OK) {
		free(ch->ch_rbuf);
		ch->ch_rbuf = NULL;
		bcon_attach(ch, rq);
		return;
	}
	bchan_send(ch, ch->ch_rbuf, ch->ch_rlen, -1);
	if (ch->ch_fd != -1) {
		free(ch->ch_rbuf);
		ch->ch_rbuf = NULL;
	}
}

void
bchan_job_read(struct bchan *ch)
{
	ssize_t	n;

	if (ch->ch_rlen > PRIV_REP_MAX) {
		ch->ch_rlen = 0;	/* too long: not a reply */
		job_done(ch);
		return;
	}
	n = read(ch->ch_jobfd, ch->ch_rbuf + ch->ch_rlen,
	    PRIV_REP_MAX + 1 - ch->ch_rlen);
	if (n > 0)
		ch->ch_rlen += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		job_done(ch);
}

void
bchan_read(struct bchan *ch)
{
	unsigned char		 buf[sizeof(struct priv_req) + 1];
	struct priv_req		 rq;
	const struct instance	*inst;
	const char		*why = "";
	char			 msg[ARGO_ERR_LEN];
	long			 n;
	int			 fd, st;

	n = privmsg_recv(ch->ch_fd, buf, sizeof(buf), &fd, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (fd != -1)
			close(fd);
		bchan_close(ch);		/* the worker is gone */
		return;
	}
	if (privmsg_decode_req(buf, (size_t)n, &rq, msg, sizeof(msg)) == -1) {
		char line[ARGO_ERR_LEN + 32];

		if (fd != -1)
			close(fd);
		(void)snprintf(line, sizeof(line), "malformed request (%s)",
		    msg);
		bchan_kill(ch, line);
		return;
	}
	/*
	 * A new session of the worker's starts anonymous, and its first
	 * request, only that one, brings the client socket (privmsg.h).
	 */
	if ((rq.r_session != ch->ch_session) != (fd != -1)) {
		if (fd != -1)
			close(fd);
		bchan_kill(ch, fd != -1 ? "sent a descriptor" :
		    "began a session without its client");
		return;
	}
	if (fd != -1) {
		if (ch->ch_con_name[0] != '\0') {
			close(fd);
			bchan_kill(ch, "began a session with a console held");
			return;
		}
		if (ch->ch_watch != NULL) {
			close(fd);
			bchan_kill(ch, "began a session while watching");
			return;
		}
		ch->ch_session = rq.r_session;
		ch->ch_user = NULL;
		bpeer_learn(ch, fd);
		/*
		 * A socket session is its uid's account from its first
		 * byte: the uid is the kernel's (SO_PEERCRED on the very
		 * socket), so no word of the worker's can choose it.
		 */
		if (ch->ch_peer_ss.ss_family == AF_UNIX && ch->ch_peer_uid >= 0)
			ch->ch_user = config_user_by_uid(ch->ch_bc->bc_conf,
			    (uid_t)ch->ch_peer_uid);
	}
	/* A watching session asks for its lines and its end, nothing else. */
	if ((ch->ch_watch != NULL) != (rq.r_type == PRIV_WATCH_NEXT ||
	    rq.r_type == PRIV_WATCH_END)) {
		bchan_kill(ch, ch->ch_watch != NULL ? "asked for more than "
		    "its watch" : "asked for watch lines without a watch");
		return;
	}
	if (rq.r_type == PRIV_WATCH_END) {
		bwatch_end(ch, &rq);
		return;
	}
	if (rq.r_type == PRIV_WATCH_NEXT) {
		if (bwatch_next(ch, &rq) == -1)
			bchan_kill(ch, "asked for watch lines twice");
		return;
	}
	if (rq.r_type == PRIV_SCAN) {
		do_scan(ch, &rq);
		return;
	}
	if (rq.r_type == PRIV_CONSOLE_END) {
		bcon_end(ch, &rq);
		return;
	}
	if (rq.r_type == PRIV_WHOAMI) {
		do_whoami(ch, &rq);
		return;
	}
	st = job_check(ch, &rq, rq.r_name[0] != '\0' ? broker_scan() : NULL, &inst,
	    &why);
	if (st != PRIV_OK) {
		log_warnx("refused %s%s%s of worker %ld (peer=%s user=%s): %s",
		    privmsg_type_name(&rq),
		    rq.r_name[0] ? " " : "", rq.r_name, (long)ch->ch_pid,
		    ch->ch_peer, ch->ch_user ? ch->ch_user->u_name : "-", why);
		bchan_reply(ch, &rq, st, 0, -1);
		return;
	}
	if (rq.r_type == PRIV_CONSOLE) {
		/* One at a time; one per instance is bcon_attach()'s. */
		if (ch->ch_con_name[0] != '\0') {
			bchan_reply(ch, &rq, PRIV_BUSY, 0, -1);
			return;
		}
		util_strlcpy(ch->ch_con_name, inst->i_name,
		    sizeof(ch->ch_con_name));
	}
	if (rq.r_type == PRIV_WATCH) {
		bwatch_start(ch, &rq);	/* no child: the broker's one poll */
		return;
	}
	job_start(ch, &rq, inst);
}
