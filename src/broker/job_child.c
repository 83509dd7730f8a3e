/*
 * job_child.c: the broker's children for requests and the watch poll
 * (job_child.h).  Runs in the broker (root) up to the fork; the child
 * does its one job as root and exits.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "job_child.h"
#include "privmsg.h"

static unsigned char	 childbuf[PRIV_REP_MAX];	/* the child's reply */

pid_t
job_child_start(job_child_fn fn, const void *arg, int *rfd)
{
	sigset_t	none;
	pid_t		pid, broker = getpid();
	size_t		len, off;
	ssize_t		n;
	int		p[2], saved;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == 0) {
		/*
		 * A child left behind by a dead broker would act on a request
		 * nobody waits for: it dies with the broker, and checks the
		 * broker was still its parent once that was armed.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != broker)
			_exit(1);
		/* The broker's handlers and mask are not the tool's. */
		(void)signal(SIGCHLD, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		sigemptyset(&none);
		(void)sigprocmask(SIG_SETMASK, &none, NULL);
		close(p[0]);
		len = fn(arg, childbuf);
		for (off = 0; off < len; off += (size_t)n)
			if ((n = write(p[1], childbuf + off, len - off)) <= 0)
				_exit(1);
		_exit(0);
	}
	saved = errno;
	close(p[1]);
	if (pid == -1 || fcntl(p[0], F_SETFL, O_NONBLOCK) == -1) {
		if (pid != -1) {
			saved = errno;
			(void)kill(pid, SIGKILL);	/* reaped by the loop */
		}
		close(p[0]);
		errno = saved;
		return (-1);
	}
	*rfd = p[0];
	return (pid);
}
