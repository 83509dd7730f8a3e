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
