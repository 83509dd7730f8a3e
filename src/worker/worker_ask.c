/*
 * worker_ask.c: a worker's requests to the broker (worker_ask.h).  Runs in
 * the unprivileged, filtered worker: sendmsg() and recvmsg() on the
 * channel the master gave it are all it takes.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"
#include "wstop.h"

static int		 chan = -1;
static uint64_t		 cur_session;
static int		 cur_client = -1;	/* until the broker has it */
static unsigned char	 repbuf[PRIV_REP_MAX + 1]
			    __attribute__((aligned(8)));

void
ask_init(int fd)
{
	chan = fd;
}

int
ask_fd(void)
{
	return (chan);
}

void
ask_session(uint64_t session, int client)
{
	cur_session = session;
	cur_client = client;
}

const struct priv_rep *
ask(struct priv_req *rq, int *fdp)
{
	long	n;
	int	fd = -1;

	rq->r_magic = PRIV_MAGIC;
	rq->r_session = cur_session;
	if (fdp != NULL)
		*fdp = -1;
	/*
	 * The session's first request shows the broker the client itself: it
	 * logs and counts the peer the kernel names.  Sessions that never ask
	 * anything cost nothing.
	 */
	if (privmsg_send(chan, rq, sizeof(*rq), cur_client, 0) == -1)
		goto gone;
	cur_client = -1;
	n = privmsg_recv(chan, repbuf, sizeof(repbuf), &fd, 0);
	explicit_bzero(rq->r_password, sizeof(rq->r_password));
	if (n <= 0)
		goto gone;
	if (privmsg_check_rep(repbuf, (size_t)n, (enum priv_type)rq->r_type)
	    == -1) {
		log_warnx("bad reply from the broker");
		if (fd != -1)
			close(fd);
		goto gone;
	}
	if (fdp != NULL)
		*fdp = fd;
	else if (fd != -1)
		close(fd);
	return ((const struct priv_rep *)(const void *)repbuf);
gone:
	explicit_bzero(rq->r_password, sizeof(rq->r_password));
	if (!worker_stop)
		log_warnx("the broker is gone: finishing");
	worker_stop = 1;
	return (NULL);
}

void
ask_whoami(struct session *s)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	char			 name[ARGO_MAX_NAME + 1];

	privmsg_req_init(&rq, PRIV_WHOAMI);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK ||
	    rep->p_outlen > ARGO_MAX_NAME) {
		/* Nothing can be done for this client. */
		s->s_close = 1;
		s->s_reason = "error";
		return;
	}
	memcpy(name, ask_payload(rep), rep->p_outlen);
	name[rep->p_outlen] = '\0';
	s->s_user = rep->p_outlen > 0 ? config_user(s->s_conf, name) : NULL;
}

int
ask_post(struct priv_req *rq)
{
	rq->r_magic = PRIV_MAGIC;
	rq->r_session = cur_session;
	if (privmsg_send(chan, rq, sizeof(*rq), cur_client, 0) == -1) {
		if (!worker_stop)
			log_warnx("the broker is gone: finishing");
		worker_stop = 1;
		return (-1);
	}
	cur_client = -1;
	return (0);
}

const struct priv_rep *
ask_take(enum priv_type type)
{
	long	n;
	int	fd = -1;

	n = privmsg_recv(chan, repbuf, sizeof(repbuf), &fd, 0);
	if (fd != -1)
		close(fd);		/* a watch never gets one */
	if (n > 0 && privmsg_check_rep(repbuf, (size_t)n, type) == 0)
		return ((const struct priv_rep *)(const void *)repbuf);
	if (n > 0)
		log_warnx("bad reply from the broker");
	else if (!worker_stop)
		log_warnx("the broker is gone: finishing");
	worker_stop = 1;
	return (NULL);
}

const char *
ask_payload(const struct priv_rep *rep)
{
	return ((const char *)rep + sizeof(*rep));
}

/* The 400 reason of each failed status (PRIV_FAILED adds the summary). */
static const char *const reasons[PRIV_STATUS_MAX] = {
	[PRIV_FAILED] = "TOOLSTACK FAILED",
	[PRIV_TIMEOUT] = "TOOLSTACK TIMEOUT",
	[PRIV_BADAUTH] = "AUTHENTICATION FAILED",
	[PRIV_NOAUTH] = "NOT AUTHENTICATED",
	[PRIV_DENIED] = "PERMISSION DENIED",
	[PRIV_NOSUCH] = "NO SUCH INSTANCE",
	[PRIV_NOTRUNNING] = "NOT RUNNING",
	[PRIV_BUSY] = "CONSOLE BUSY",
};

void
ask_fail_reply(struct session *s, const struct priv_rep *rep)
{
	uint32_t	st = rep != NULL ? rep->p_status : PRIV_ERROR;

	if (st == PRIV_FAILED && rep != NULL)
		session_error(s, "%s: %s", reasons[st], rep->p_summary);
	else if (st < PRIV_STATUS_MAX && reasons[st] != NULL)
		session_error(s, "%s", reasons[st]);
	else
		session_error(s, "TOOLSTACK FAILED: cannot run the toolstack");
	if (rep == NULL) {
		/* Nothing more can be done for this client. */
		s->s_close = 1;
		s->s_reason = "error";
	}
}
