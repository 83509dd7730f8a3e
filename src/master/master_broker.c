/*
 * master_broker.c: the master's side of its broker: its birth (with the
 * instance map, which it alone may write), the configuration handed over
 * on each reload, the requests to stop a worker it reads, and its end.
 * Runs in the master (root).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "config_load.h"
#include "imap_write.h"
#include "log.h"
#include "prefork.h"
#include "privmsg.h"
#include "util.h"

#define BROKER_STOP_MS	3000

/* The broker gets the bytes in a memfd: its own parse, of the same file. */
int
master_hand_over(struct master *m, const char *buf, size_t len, int generation)
{
	struct priv_ctl	c;
	int		fd, rc = -1;
	size_t		off;
	ssize_t		n;

	if ((fd = memfd_create("argo-conf", MFD_CLOEXEC)) == -1)
		return (-1);
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, buf + off, len - off)) <= 0)
			goto out;
	memset(&c, 0, sizeof(c));
	c.c_magic = PRIV_MAGIC;
	c.c_type = CTL_RELOAD;
	c.c_slot = 0;
	c.c_pid = getpid();
	c.c_generation = generation;
	c.c_len = len;
	rc = privmsg_send(m->m_ctl, &c, sizeof(c), fd, 0);
out:
	close(fd);
	return (rc);
}

/* The broker wants a worker stopped (it broke the protocol). */
void
master_ctl_read(struct master *m)
{
	struct priv_ctl	c;
	unsigned char	buf[sizeof(c) + 1];
	long		n;
	int		fd;

	for (;;) {
		n = privmsg_recv(m->m_ctl, buf, sizeof(buf), &fd, MSG_DONTWAIT);
		if (fd != -1)
			close(fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* Its death is noticed when it is reaped. */
			return;
		}
		if (privmsg_check_ctl(buf, (size_t)n, &c) == -1 ||
		    c.c_type != CTL_KILL) {
			log_warnx("bad message from the broker");
			continue;
		}
		(void)pool_stop(m, c.c_slot, (pid_t)c.c_pid);
	}
}

void
master_start_broker(struct master *m)
{
	int	sv[2];
	pid_t	pid;
	char	err[ARGO_ERR_LEN];

	if (imap_create(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		fatal("socketpair");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid == 0) {
		close(sv[0]);
		(void)munmap(m->m_board, sizeof(*m->m_board));
		broker_main(*m->m_confp, sv[1]);
		/* NOTREACHED */
	}
	close(sv[1]);
	m->m_ctl = sv[0];
	m->m_broker = pid;
	/* From here on no hash in the master, and the map is read-only. */
	config_forget_secrets(*m->m_confp);
	util_scrub_stack();
	if (imap_seal(err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (fcntl(m->m_ctl, F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl");
}

/* After the workers: the broker, told first, then made to go. */
void
master_stop_broker(struct master *m)
{
	long long	end = util_now_ms() + BROKER_STOP_MS;
	struct timespec	ts = { 0, 20 * 1000 * 1000 };

	if (m->m_broker == 0)
		return;
	(void)kill(m->m_broker, SIGTERM);
	while (m->m_broker != 0 && util_now_ms() < end) {
		pool_reap(m);
		if (m->m_broker != 0)
			(void)nanosleep(&ts, NULL);
	}
	if (m->m_broker != 0) {
		(void)kill(m->m_broker, SIGKILL);
		(void)waitpid(m->m_broker, NULL, 0);
		m->m_broker = 0;
	}
}

/* Its socket closed: it is exiting; reap it (a second at most). */
void
master_reap_broker(struct master *m)
{
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	int		i, st;

	for (i = 0; i < 100 && m->m_broker != 0; i++) {
		if (waitpid(m->m_broker, &st, WNOHANG) == m->m_broker) {
			m->m_broker = 0;
			m->m_broker_status = st;
			return;
		}
		(void)nanosleep(&ts, NULL);
	}
	if (m->m_broker != 0) {
		(void)kill(m->m_broker, SIGKILL);
		if (waitpid(m->m_broker, &st, 0) == m->m_broker)
			m->m_broker_status = st;
		m->m_broker = 0;
	}
}

void
master_broker_died(const struct master *m)
{
	int	st = m->m_broker_status;

	if (WIFSIGNALED(st))
		log_warnx("broker killed by signal %d: stopping",
		    WTERMSIG(st));
	else
		log_warnx("broker exited with status %d: stopping",
		    WEXITSTATUS(st));
}
