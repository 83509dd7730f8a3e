/*
 * net.c: lookups and connects that never block the poll loop.
 *
 * getaddrinfo() can take the resolver's whole timeout per name; with forty
 * dom0s named in DNS and a resolver down, a blocking lookup would hold
 * every other host hostage and break the -t promise.  So names go to
 * getaddrinfo_a() (glibc, in libc itself since 2.34), which signals each
 * completion with SIGUSR1; the signal stays blocked and is read from a
 * signalfd, so completions are just another descriptor for poll().
 * Address literals are converted on the spot (AI_NUMERICHOST never
 * blocks).  A lookup still running when its host gives up cannot be
 * cancelled: its request block is parked on a list until exit, since the
 * helper thread will still write to it.
 */
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

#include "net.h"
#include "transport.h"
#include "xutil.h"

#define NET_SIGNAL	SIGUSR1

struct lookup {
	struct gaicb	 l_cb;
	struct addrinfo	 l_hints;	/* l_cb points here until done */
	struct lookup	*l_parked;
};

static int		 notify_fd = -1;
static struct lookup	*parked;	/* still running, abandoned */

int
net_init(void)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, NET_SIGNAL);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return (-1);
	notify_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return (notify_fd == -1 ? -1 : 0);
}

int
net_notify_fd(void)
{
	return (notify_fd);
}

void
net_notify_drain(void)
{
	struct signalfd_siginfo	si[16];

	while (read(notify_fd, si, sizeof(si)) > 0)
		;
}

static void
hints_for(struct addrinfo *hints, int numeric)
{
	memset(hints, 0, sizeof(*hints));
	hints->ai_family = AF_UNSPEC;
	hints->ai_socktype = SOCK_STREAM;
	hints->ai_protocol = IPPROTO_TCP;
	hints->ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0);
}

static void
fail(struct dial *d, const char *what, const char *why)
{
	(void)snprintf(d->d_err, sizeof(d->d_err), "%s: %s", what, why);
	d->d_state = DIAL_FAILED;
}

/* Connect to the next address, or fail with the last one's error. */
static void
try_next(struct dial *d)
{
	struct addrinfo	*ai;
	int		 fd, one = 1;

	while ((ai = d->d_next) != NULL) {
		d->d_next = ai->ai_next;
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			fail(d, "socket", strerror(errno));
			continue;
		}
		/* Console keystrokes are single bytes: no Nagle delay. */
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			d->d_fd = fd;
			d->d_state = DIAL_OPEN;
			return;
		}
		if (errno == EINPROGRESS) {
			d->d_fd = fd;
			d->d_state = DIAL_CONNECTING;
			return;
		}
		fail(d, "connect", strerror(errno));
		(void)close(fd);
	}
	if (d->d_state != DIAL_FAILED)
		fail(d, "connect", "no address");
}

void
dial_start(struct dial *d, const struct host *h)
{
	struct addrinfo	 hints;
	struct gaicb	*list[1];
	struct sigevent	 sev;
	struct lookup	*l;
	int		 r;

	memset(d, 0, sizeof(*d));
	d->d_host = h;
	d->d_fd = -1;
	if (h->h_kind != HOST_TCP) {
		/* A local connect, or an ssh started: open at once (ssh's
		 * failures arrive as its socket's end, transport.c). */
		d->d_fd = transport_open(h, d->d_err, sizeof(d->d_err));
		d->d_state = d->d_fd == -1 ? DIAL_FAILED : DIAL_OPEN;
		return;
	}
	if (h->h_numeric) {
		hints_for(&hints, 1);
		if ((r = getaddrinfo(h->h_name, h->h_port, &hints,
		    &d->d_res)) != 0) {
			fail(d, "address", gai_strerror(r));
			return;
		}
		d->d_next = d->d_res;
		try_next(d);
		return;
	}
	l = xmalloc(sizeof(*l));
	memset(l, 0, sizeof(*l));
	hints_for(&l->l_hints, 0);
	l->l_cb.ar_name = h->h_name;
	l->l_cb.ar_service = h->h_port;
	l->l_cb.ar_request = &l->l_hints;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = NET_SIGNAL;
	list[0] = &l->l_cb;
	if ((r = getaddrinfo_a(GAI_NOWAIT, list, 1, &sev)) != 0) {
		free(l);
		fail(d, "lookup", gai_strerror(r));
		return;
	}
	d->d_lookup = l;
	d->d_state = DIAL_LOOKUP;
}

void
dial_check_lookup(struct dial *d)
{
	struct lookup	*l = d->d_lookup;
	int		 r;

	if (d->d_state != DIAL_LOOKUP || l == NULL)
		return;
	if ((r = gai_error(&l->l_cb)) == EAI_INPROGRESS)
		return;
	d->d_lookup = NULL;
	if (r != 0) {
		free(l);
		fail(d, "lookup", gai_strerror(r));
		return;
	}
	d->d_res = l->l_cb.ar_result;
	free(l);
	d->d_next = d->d_res;
	try_next(d);
}

void
dial_check_connect(struct dial *d)
{
	socklen_t	len = sizeof(int);
	int		err = 0;

	if (d->d_state != DIAL_CONNECTING)
		return;
	if (getsockopt(d->d_fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0) {
		d->d_state = DIAL_OPEN;
		return;
	}
	if (err == EINPROGRESS)
		return;		/* spurious wake-up */
	(void)close(d->d_fd);
	d->d_fd = -1;
	fail(d, "connect", strerror(err));
	try_next(d);
}

int
dial_take(struct dial *d)
{
	int	fd = d->d_fd;

	d->d_fd = -1;
	return (fd);
}

void
dial_stop(struct dial *d)
{
	struct lookup	*l = d->d_lookup;

	if (l != NULL) {
		switch (gai_cancel(&l->l_cb)) {
		case EAI_NOTCANCELED:
			l->l_parked = parked;
			parked = l;
			break;
		case EAI_ALLDONE:
			if (gai_error(&l->l_cb) == 0)
				freeaddrinfo(l->l_cb.ar_result);
			free(l);
			break;
		default:		/* EAI_CANCELED */
			free(l);
			break;
		}
		d->d_lookup = NULL;
	}
	if (d->d_fd != -1)
		transport_close(d->d_fd);
	d->d_fd = -1;
	if (d->d_res != NULL)
		freeaddrinfo(d->d_res);
	d->d_res = d->d_next = NULL;
	d->d_state = DIAL_IDLE;
}

int
dial_blocking(const struct host *h, long long deadline, int seconds,
    char *err, size_t errlen)
{
	struct dial	d;
	struct pollfd	pfd;
	long long	left;
	int		fd;

	dial_start(&d, h);
	while (d.d_state == DIAL_LOOKUP || d.d_state == DIAL_CONNECTING) {
		if ((left = deadline - xnow_ms()) <= 0) {
			dial_stop(&d);
			(void)snprintf(err, errlen, "timed out after %d s",
			    seconds);
			return (-1);
		}
		pfd.fd = d.d_state == DIAL_LOOKUP ? notify_fd : d.d_fd;
		pfd.events = d.d_state == DIAL_LOOKUP ? POLLIN : POLLOUT;
		if (poll(&pfd, 1, left > 1000 ? 1000 : (int)left) == -1 &&
		    errno != EINTR)
			xdie(ARGO_EXIT_OSERR, "poll: %s", strerror(errno));
		if (d.d_state == DIAL_LOOKUP) {
			net_notify_drain();
			dial_check_lookup(&d);
		} else if (pfd.revents != 0)
			dial_check_connect(&d);
	}
	if (d.d_state == DIAL_FAILED) {
		util_strlcpy(err, d.d_err, errlen);
		dial_stop(&d);
		return (-1);
	}
	fd = dial_take(&d);
	dial_stop(&d);
	return (fd);
}
