/*
 * limit: the "limit proxy" of `make bench`, the fastest server that can
 * speak the session shape loadgen drives: accept, read a request line,
 * answer it with a canned `version` reply, answer `quit` with 300 BYE and
 * close.  No parsing, no logging, no allocation: what it reaches is what
 * loopback TCP and the kernel allow on this machine with the same process
 * model as argo-server (blocking preforked workers, one session each).
 *
 * usage: limit [-a ADDR] [-p PORT] [-w WORKERS] [-l SECONDS]
 * Prints "ready listen=ADDR:PORT workers=N" on stderr once listening
 * (port 0 lets the kernel choose); stops on SIGTERM/SIGINT, or after
 * SECONDS (default 600) whatever happens.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LIMIT_MAX_WORKERS	256
#define LIMIT_BUF		2048

static const char	reply[] = "200 OK\nargo-server x\n300 DONE\n";
static const char	bye[] = "200 OK\n300 BYE\n";
static volatile sig_atomic_t stopping;

static void	 usage(void) __attribute__((noreturn));
static unsigned long num(const char *, unsigned long, unsigned long);
static void	 on_stop(int);
static int	 write_all(int, const char *, size_t);
static void	 serve(int);
static void	 worker(int);

static void
usage(void)
{
	fprintf(stderr, "usage: limit [-a addr] [-p port] [-w workers] "
	    "[-l seconds]\n");
	exit(2);
}

static unsigned long
num(const char *s, unsigned long lo, unsigned long hi)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		usage();
	return v;
}

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * One session: every complete line gets the canned reply, all the replies
 * to one read in one write (pipelined clients); quit ends it.
 */
static void
serve(int fd)
{
	char	 buf[LIMIT_BUF], out[LIMIT_BUF * sizeof(reply)], *nl, *p;
	size_t	 len = 0, olen;
	ssize_t	 r;
	int	 quit;

	for (;;) {
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r == -1 && errno == EINTR && !stopping)
			continue;
		if (r <= 0)
			return;
		len += (size_t)r;
		p = buf;
		olen = 0;
		quit = 0;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) !=
		    NULL) {
			/* At most LIMIT_BUF lines per read: out has room. */
			if (nl - p >= 4 && memcmp(p, "quit", 4) == 0) {
				memcpy(out + olen, bye, sizeof(bye) - 1);
				olen += sizeof(bye) - 1;
				quit = 1;
				break;
			}
			memcpy(out + olen, reply, sizeof(reply) - 1);
			olen += sizeof(reply) - 1;
			p = nl + 1;
		}
		if (olen > 0 && write_all(fd, out, olen) == -1)
			return;
		if (quit)
			return;
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len == sizeof(buf))
			return;		/* a line this long is not ours */
	}
}

static void
worker(int lfd)
{
	int	fd;

	while (!stopping) {
		/*
		 * cppcheck 2.10's gnu.cfg has accept4's addrlen not-null, yet
		 * NULL is allowed when addr is NULL.
		 */
		/* cppcheck-suppress nullPointer */
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		serve(fd);
		close(fd);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	struct sigaction	 sa;
	sigset_t		 block, old;
	socklen_t		 slen;
	pid_t			 pids[LIMIT_MAX_WORKERS];
	const char		*addr = "127.0.0.1";
	unsigned		 workers = 4, limit = 600, i;
	unsigned long		 port = 0;
	int			 ch, lfd, one = 1;

	while ((ch = getopt(argc, argv, "a:l:p:w:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'l':
			limit = (unsigned)num(optarg, 1, 86400);
			break;
		case 'p':
			port = num(optarg, 0, 65535);
			break;
		case 'w':
			workers = (unsigned)num(optarg, 0, LIMIT_MAX_WORKERS);
			break;
		default:
			usage();
		}
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();

	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 511) == -1) {
		perror("limit: listen");
		return 1;
	}
	slen = sizeof(sin);
	getsockname(lfd, (struct sockaddr *)&sin, &slen);

	/* No SA_RESTART: a signal must break accept() and read(). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(limit);

	fprintf(stderr, "limit[%ld]: ready listen=%s:%u workers=%u\n",
	    (long)getpid(), addr, ntohs(sin.sin_port), workers);
	if (workers == 0) {
		worker(lfd);
		return 0;
	}
	/* Blocked until sigsuspend(), so a stop cannot slip in unnoticed. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < workers; i++) {
		pids[i] = fork();
		if (pids[i] == -1) {
			perror("limit: fork");
			workers = i;
			stopping = 1;
			break;
		}
		if (pids[i] == 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			alarm(limit);
			worker(lfd);
			_exit(0);
		}
	}
	close(lfd);
	while (!stopping)
		sigsuspend(&old);
	for (i = 0; i < workers; i++)
		kill(pids[i], SIGTERM);
	for (i = 0; i < workers; i++)
		while (waitpid(pids[i], NULL, 0) == -1 && errno == EINTR)
			;
	return 0;
}
