/*
 * loadgen: the load client of `make bench`.
 *
 * Written in C, one blocking process per connection, so that on a 2-core
 * box the client costs far less than the server it measures.  Every mode
 * is bounded in time twice: by its own deadline and by alarm(2), so a
 * stuck server can never hang the benchmark.  Results go to stdout as one
 * JSON object; latencies are in microseconds.
 *
 * Modes:
 *   short  C clients, each looping: connect, REQUEST, read the reply up to
 *          its 300/400 line, "quit", read up to EOF, close.
 *   pipe   C persistent connections, each keeping DEPTH requests in
 *          flight (pipelined), for T seconds.
 *   seq    one connection, optional first line (auth), then N rounds of
 *          the requests given with -r, one at a time; per-request stats.
 *   exec   N rounds of the commands given after "--" (separated by "::"),
 *          each run like argo-server runs its toolstack: clean
 *          environment, stdin on /dev/null, stdout/stderr on pipes drained
 *          to EOF; per-command stats.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LG_MAX_CLIENTS	256
#define LG_MAX_DEPTH	1024
#define LG_MAX_REQS	8		/* -r requests in seq mode */
#define LG_MAX_CMDS	8		/* commands in exec mode */
#define LG_MAX_ARGS	32		/* words per exec command */
#define LG_SAMPLES	(1u << 21)	/* latencies kept per client */
#define LG_BUF		(256 * 1024)	/* reply buffer per connection */
#define LG_REQ_MAX	1100		/* request line, newline included */
#define LG_ERR_LEN	160
#define LG_IO_TIMEOUT	5		/* seconds per read or write */

enum mode { M_SHORT, M_PIPE, M_SEQ, M_EXEC };

/* Per-client results, in shared memory so that forked clients report. */
struct slot {
	uint64_t	 count;		/* sessions or replies counted */
	uint64_t	 errors;
	uint64_t	 nsamples;
	uint64_t	 body_lines;	/* of the last counted reply */
	char		 err[LG_ERR_LEN];	/* first error */
	uint32_t	 samples[];	/* nanoseconds, clamped */
};

struct conn {
	int		 fd;
	size_t		 off;		/* parse position in buf */
	size_t		 len;		/* bytes in buf */
	char		 buf[LG_BUF];
};

struct opts {
	enum mode	 mode;
	const char	*host;
	const char	*port;
	unsigned	 clients;
	double		 seconds;
	double		 warmup;
	unsigned	 depth;
	long		 expect;	/* body lines per reply, -1: any */
	unsigned	 rounds;
	const char	*first;		/* seq: line sent first (auth) */
	const char	*reqs[LG_MAX_REQS];
	unsigned	 nreqs;
	char		*cmds[LG_MAX_CMDS][LG_MAX_ARGS + 1];
	unsigned	 ncmds;
	unsigned	 hardlimit;	/* seconds, alarm(2) */
};

static struct opts	 o;
static struct addrinfo	*target;
static size_t		 slot_size;
static unsigned char	*slots;
static volatile sig_atomic_t parent_alarm;

static void		 usage(void) __attribute__((noreturn));
static void		 die(const char *, const char *) __attribute__((noreturn));
static unsigned long	 num(const char *, unsigned long, unsigned long,
			    const char *);
static double		 fnum(const char *, const char *);
static uint64_t		 now_ns(void);
static struct slot	*slot_at(unsigned);
static void		 slot_err(struct slot *, const char *, int);
static void		 slot_sample(struct slot *, uint64_t);
static int		 conn_open(struct conn *, struct slot *);
static int		 conn_write(struct conn *, const char *, size_t,
			    struct slot *);
static int		 conn_line(struct conn *, int, const char **, size_t *,
			    struct slot *);
static int		 conn_reply(struct conn *, int, struct slot *,
			    uint64_t *);
static void		 run_short(unsigned);
static void		 run_pipe(unsigned);
static void		 run_seq(void);
static void		 run_exec(void);
static int		 exec_one(char **, struct slot *);
static int		 cmp_u32(const void *, const void *);
static void		 json_str(const char *);
static void		 json_stats(uint32_t *, uint64_t);
static void		 on_parent_alarm(int);

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -m short|pipe [-H host] -p port [-c clients] "
	    "[-t secs] [-w warmup]\n"
	    "               [-d depth] [-r request] [-e body_lines] "
	    "[-l hardlimit]\n"
	    "       loadgen -m seq -p port [-a first_line] -r req [-r req...] "
	    "-n rounds\n"
	    "       loadgen -m exec -n rounds -- /path arg... [:: /path "
	    "arg...]\n");
	exit(2);
}

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "loadgen: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
	exit(2);
}

static unsigned long
num(const char *s, unsigned long lo, unsigned long hi, const char *what)
{
	char		*end;
	unsigned long	 v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		die("bad number for", what);
	return v;
}

static double
fnum(const char *s, const char *what)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0.0) ||
	    v > 3600.0)
		die("bad number for", what);
	return v;
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct slot *
slot_at(unsigned i)
{
	return (struct slot *)(void *)(slots + (size_t)i * slot_size);
}

/* Only the first error is kept: it is the one that explains the rest. */
static void
slot_err(struct slot *s, const char *what, int err)
{
	s->errors++;
	if (s->err[0] != '\0')
		return;
	if (err != 0)
		snprintf(s->err, sizeof(s->err), "%s: %s", what,
		    strerror(err));
	else
		snprintf(s->err, sizeof(s->err), "%s", what);
}

static void
slot_sample(struct slot *s, uint64_t ns)
{
	if (s->nsamples < LG_SAMPLES)
		s->samples[s->nsamples++] =
		    ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int
conn_open(struct conn *c, struct slot *s)
{
	struct timeval	tv = { LG_IO_TIMEOUT, 0 };
	int		one = 1;

	c->off = c->len = 0;
	c->fd = socket(target->ai_family, target->ai_socktype | SOCK_CLOEXEC,
	    target->ai_protocol);
	if (c->fd == -1) {
		slot_err(s, "socket", errno);
		return -1;
	}
	/* Replies are awaited, never coalesced: Nagle would only add delay. */
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, target->ai_addr, target->ai_addrlen) == -1) {
		slot_err(s, "connect", errno);
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static int
conn_write(struct conn *c, const char *p, size_t n, struct slot *s)
{
	ssize_t	w;

	while (n > 0) {
		w = write(c->fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			slot_err(s, "write", errno);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Next complete line (without its LF or CRLF).  Returns 1 with a line,
 * 0 when more bytes are needed and mayread is false (or on EOF when
 * mayread is true and nothing is buffered), -1 on error.
 */
static int
conn_line(struct conn *c, int mayread, const char **line, size_t *llen,
    struct slot *s)
{
	char	*nl;
	ssize_t	 r;

	for (;;) {
		nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl != NULL) {
			*line = c->buf + c->off;
			*llen = (size_t)(nl - *line);
			if (*llen > 0 && (*line)[*llen - 1] == '\r')
				(*llen)--;
			c->off = (size_t)(nl - c->buf) + 1;
			return 1;
		}
		if (!mayread)
			return 0;
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->len == sizeof(c->buf)) {
			slot_err(s, "reply line too long", 0);
			return -1;
		}
		r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			slot_err(s, "read", errno);
			return -1;
		}
		if (r == 0)
			return 0;
		c->len += (size_t)r;
	}
}

/*
 * One whole reply.  Returns 1 for "200 OK ... 300 ...", 2 for "400 ...",
 * 0 when incomplete (only with mayread false; nothing is consumed) or on
 * EOF before a reply, -1 on error.  *body counts the body lines.
 */
static int
conn_reply(struct conn *c, int mayread, struct slot *s, uint64_t *body)
{
	const char	*l;
	size_t		 n, start = c->off;
	int		 r, first = 1;

	*body = 0;
	for (;;) {
		r = conn_line(c, mayread, &l, &n, s);
		if (r <= 0) {
			if (r == 0 && !mayread) {
				/* Rewind: the reply is parsed again later. */
				c->off = start;
				return 0;
			}
			if (r == 0)
				slot_err(s, "EOF before end of reply", 0);
			return -1;
		}
		if (first) {
			first = 0;
			if (n >= 4 && memcmp(l, "400 ", 4) == 0)
				return 2;
			if (n >= 4 && memcmp(l, "300 ", 4) == 0)
				return 1;
			if (n != 6 || memcmp(l, "200 OK", 6) != 0) {
				slot_err(s, "reply does not start with 200/300/400",
				    0);
				return -1;
			}
			continue;
		}
		if (n >= 4 && memcmp(l, "300 ", 4) == 0)
			return 1;
		if (n >= 4 && (memcmp(l, "400 ", 4) == 0 ||
		    memcmp(l, "200 ", 4) == 0)) {
			slot_err(s, "reply code inside a body", 0);
			return -1;
		}
		(*body)++;
	}
}

static void
run_short(unsigned idx)
{
	static struct conn	 c;
	struct slot		*s = slot_at(idx);
	char			 req[LG_REQ_MAX];
	const char		*l;
	size_t			 reqlen, n;
	uint64_t		 t0, t1, start, measure, end, body;
	int			 r, bye;

	reqlen = (size_t)snprintf(req, sizeof(req), "%s\n", o.reqs[0]);
	start = now_ns();
	measure = start + (uint64_t)(o.warmup * 1e9);
	end = measure + (uint64_t)(o.seconds * 1e9);
	while ((t0 = now_ns()) < end) {
		if (conn_open(&c, s) == -1) {
			/* Back off a little: refusals must not spin. */
			usleep(1000);
			continue;
		}
		if (conn_write(&c, req, reqlen, s) == -1)
			goto fail;
		r = conn_reply(&c, 1, s, &body);
		if (r == -1)
			goto fail;
		if (r == 2) {
			slot_err(s, "400 reply", 0);
			goto fail;
		}
		if (o.expect >= 0 && body != (uint64_t)o.expect) {
			slot_err(s, "unexpected number of body lines", 0);
			goto fail;
		}
		if (conn_write(&c, "quit\n", 5, s) == -1)
			goto fail;
		/* Wait for the server to close first, as a polite client. */
		bye = 0;
		while ((r = conn_line(&c, 1, &l, &n, s)) == 1)
			if (n >= 7 && memcmp(l, "300 BYE", 7) == 0)
				bye = 1;
		if (r == -1 || !bye) {
			if (r != -1)
				slot_err(s, "no 300 BYE before close", 0);
			goto fail;
		}
		close(c.fd);
		t1 = now_ns();
		if (t0 >= measure) {
			s->count++;
			s->body_lines = body;
			slot_sample(s, t1 - t0);
		}
		continue;
fail:
		close(c.fd);
		usleep(1000);
	}
}

static void
run_pipe(unsigned idx)
{
	static struct conn	 c;
	static char		 out[LG_MAX_DEPTH * LG_REQ_MAX];
	static uint64_t		 sent[LG_MAX_DEPTH];
	struct slot		*s = slot_at(idx);
	char			 req[LG_REQ_MAX];
	size_t			 reqlen;
	uint64_t		 t, measure, end, body;
	unsigned		 head = 0, tail = 0, inflight = 0, k, i;
	int			 r, mayread;

	reqlen = (size_t)snprintf(req, sizeof(req), "%s\n", o.reqs[0]);
	for (i = 0; i < o.depth; i++)
		memcpy(out + (size_t)i * reqlen, req, reqlen);
	if (conn_open(&c, s) == -1)
		return;
	measure = now_ns() + (uint64_t)(o.warmup * 1e9);
	end = measure + (uint64_t)(o.seconds * 1e9);

	/*
	 * Keep depth requests in flight: block for one reply, take every
	 * further complete reply already buffered, then send as many new
	 * requests as replies came back, in one write.
	 */
	k = o.depth;
	for (;;) {
		t = now_ns();
		if (k > 0 && t < end) {
			if (conn_write(&c, out, k * reqlen, s) == -1)
				break;
			for (i = 0; i < k; i++) {
				sent[tail] = t;
				tail = (tail + 1) % o.depth;
			}
			inflight += k;
		}
		k = 0;
		if (inflight == 0)
			break;
		for (mayread = 1; inflight > 0; mayread = 0) {
			r = conn_reply(&c, mayread, s, &body);
			if (r <= 0)
				break;
			t = now_ns();
			if (r == 2)
				slot_err(s, "400 reply", 0);
			else if (o.expect >= 0 && body != (uint64_t)o.expect)
				slot_err(s, "unexpected number of body lines",
				    0);
			if (sent[head] >= measure && t <= end) {
				s->count++;
				s->body_lines = body;
				slot_sample(s, t - sent[head]);
			}
			head = (head + 1) % o.depth;
			inflight--;
			k++;
		}
		if (r == -1)
			break;
	}
	close(c.fd);
}

/* seq: per-request statistics, one slot per request. */
static void
run_seq(void)
{
	static struct conn	 c;
	struct slot		*s0 = slot_at(0), *s;
	char			 req[LG_REQ_MAX];
	size_t			 reqlen;
	uint64_t		 t0, body;
	unsigned		 i, j;
	int			 r;

	if (conn_open(&c, s0) == -1)
		return;
	if (o.first != NULL) {
		reqlen = (size_t)snprintf(req, sizeof(req), "%s\n", o.first);
		if (conn_write(&c, req, reqlen, s0) == -1)
			return;
		r = conn_reply(&c, 1, s0, &body);
		if (r != 1) {
			if (r == 2)
				slot_err(s0, "first line refused", 0);
			return;
		}
	}
	for (i = 0; i < o.rounds; i++) {
		for (j = 0; j < o.nreqs; j++) {
			s = slot_at(j);
			reqlen = (size_t)snprintf(req, sizeof(req), "%s\n",
			    o.reqs[j]);
			t0 = now_ns();
			if (conn_write(&c, req, reqlen, s) == -1)
				return;
			r = conn_reply(&c, 1, s, &body);
			if (r == -1)
				return;
			if (r == 2) {
				slot_err(s, "400 reply", 0);
				continue;
			}
			s->count++;
			s->body_lines = body;
			slot_sample(s, now_ns() - t0);
		}
	}
	conn_write(&c, "quit\n", 5, s0);
	close(c.fd);
}

/*
 * Like argo-server's toolstack runner: fixed argv, clean environment,
 * stdin on /dev/null, stdout and stderr on pipes read to EOF.  Returns
 * the exit status, or -1.
 */
static int
exec_one(char **argv, struct slot *s)
{
	static char	 buf[65536];
	char		*env[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
			    "LANG=C", NULL };
	struct pollfd	 pfd[2];
	int		 out[2], err[2], st, open_fds, i, devnull;
	pid_t		 pid;
	ssize_t		 r;

	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		slot_err(s, "pipe", errno);
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		slot_err(s, "fork", errno);
		return -1;
	}
	if (pid == 0) {
		devnull = open("/dev/null", O_RDONLY);
		if (devnull == -1 || dup2(devnull, 0) == -1 ||
		    dup2(out[1], 1) == -1 || dup2(err[1], 2) == -1)
			_exit(126);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_fds = 2;
	while (open_fds > 0) {
		r = poll(pfd, 2, LG_IO_TIMEOUT * 1000);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			slot_err(s, "toolstack output timeout",
			    r == -1 ? errno : 0);
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf, sizeof(buf));
			if (r > 0)
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			open_fds--;
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			slot_err(s, "waitpid", errno);
			return -1;
		}
	if (!WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void
run_exec(void)
{
	struct slot	*s;
	uint64_t	 t0, t1;
	unsigned	 i, j;
	int		 rc;

	for (i = 0; i < o.rounds; i++)
		for (j = 0; j < o.ncmds; j++) {
			s = slot_at(j);
			t0 = now_ns();
			rc = exec_one(o.cmds[j], s);
			t1 = now_ns();
			if (rc != 0) {
				slot_err(s, "command failed", 0);
				continue;
			}
			s->count++;
			slot_sample(s, t1 - t0);
		}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
json_str(const char *p)
{
	putchar('"');
	for (; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if ((unsigned char)*p < 0x20)
			printf("\\u%04x", (unsigned char)*p);
		else
			putchar(*p);
	}
	putchar('"');
}

/* Sorts v in place; prints "min_us":..,"p50_us":.. without braces. */
static void
json_stats(uint32_t *v, uint64_t n)
{
	double	sum = 0;
	uint64_t i;

	if (n == 0) {
		printf("\"samples\":0,\"min_us\":null,\"p50_us\":null,"
		    "\"p90_us\":null,\"p99_us\":null,\"max_us\":null,"
		    "\"mean_us\":null");
		return;
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	for (i = 0; i < n; i++)
		sum += v[i];
	printf("\"samples\":%llu,\"min_us\":%.1f,\"p50_us\":%.1f,"
	    "\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
	    "\"mean_us\":%.1f", (unsigned long long)n, v[0] / 1e3,
	    v[(n - 1) * 50 / 100] / 1e3, v[(n - 1) * 90 / 100] / 1e3,
	    v[(n - 1) * 99 / 100] / 1e3, v[n - 1] / 1e3, sum / n / 1e3);
}

static void
on_parent_alarm(int sig)
{
	(void)sig;
	parent_alarm = 1;
}

int
main(int argc, char *argv[])
{
	struct addrinfo		 hints;
	struct sigaction	 sa;
	struct rusage		 ru;
	struct slot		*s;
	uint32_t		*all;
	uint64_t		 total = 0, errors = 0, nall = 0, t0, t1;
	pid_t			 pids[LG_MAX_CLIENTS];
	unsigned		 i, nslots, nargs, killed = 0, crashed = 0;
	const char		*firsterr = "";
	double			 wall;
	int			 ch, st, gai;

	o.mode = M_SHORT;
	o.host = "127.0.0.1";
	o.clients = 1;
	o.seconds = 3;
	o.warmup = 0.5;
	o.depth = 1;
	o.expect = -1;
	o.rounds = 10;
	while ((ch = getopt(argc, argv, "a:c:d:e:H:l:m:n:p:r:t:w:")) != -1) {
		switch (ch) {
		case 'a':
			o.first = optarg;
			break;
		case 'c':
			o.clients = (unsigned)num(optarg, 1, LG_MAX_CLIENTS,
			    "-c");
			break;
		case 'd':
			o.depth = (unsigned)num(optarg, 1, LG_MAX_DEPTH, "-d");
			break;
		case 'e':
			o.expect = (long)num(optarg, 0, 1000000, "-e");
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'l':
			o.hardlimit = (unsigned)num(optarg, 1, 3600, "-l");
			break;
		case 'm':
			if (strcmp(optarg, "short") == 0)
				o.mode = M_SHORT;
			else if (strcmp(optarg, "pipe") == 0)
				o.mode = M_PIPE;
			else if (strcmp(optarg, "seq") == 0)
				o.mode = M_SEQ;
			else if (strcmp(optarg, "exec") == 0)
				o.mode = M_EXEC;
			else
				usage();
			break;
		case 'n':
			o.rounds = (unsigned)num(optarg, 1, 1000000, "-n");
			break;
		case 'p':
			o.port = optarg;
			break;
		case 'r':
			if (o.nreqs == LG_MAX_REQS)
				die("too many -r", NULL);
			if (strlen(optarg) + 2 > LG_REQ_MAX)
				die("request too long", NULL);
			o.reqs[o.nreqs++] = optarg;
			break;
		case 't':
			o.seconds = fnum(optarg, "-t");
			break;
		case 'w':
			o.warmup = fnum(optarg, "-w");
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (o.mode == M_EXEC) {
		/* Commands: words separated by "::". */
		nargs = 0;
		for (i = 0; i < (unsigned)argc; i++) {
			if (strcmp(argv[i], "::") == 0) {
				if (nargs == 0)
					usage();
				o.ncmds++;
				nargs = 0;
				continue;
			}
			if (o.ncmds == LG_MAX_CMDS || nargs == LG_MAX_ARGS)
				die("too many commands or words", NULL);
			o.cmds[o.ncmds][nargs++] = argv[i];
			o.cmds[o.ncmds][nargs] = NULL;
		}
		if (nargs == 0)
			usage();
		o.ncmds++;
		nslots = o.ncmds;
	} else {
		if (argc != 0 || o.port == NULL)
			usage();
		if (o.nreqs == 0)
			o.reqs[o.nreqs++] = "version";
		if (o.mode == M_SEQ)
			nslots = o.nreqs;
		else
			nslots = o.clients;
		if (o.mode != M_SEQ && o.nreqs != 1)
			die("-r once only in this mode", NULL);
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if ((gai = getaddrinfo(o.host, o.port, &hints, &target)) != 0)
			die("getaddrinfo", gai_strerror(gai));
	}
	if (o.hardlimit == 0)
		o.hardlimit = (unsigned)(o.seconds + o.warmup) + 30;

	slot_size = sizeof(struct slot) + LG_SAMPLES * sizeof(uint32_t);
	slots = mmap(NULL, slot_size * nslots, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (slots == MAP_FAILED)
		die("mmap", strerror(errno));

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_parent_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(o.hardlimit + 2);

	t0 = now_ns();
	if (o.mode == M_SHORT || o.mode == M_PIPE) {
		for (i = 0; i < o.clients; i++) {
			pids[i] = fork();
			if (pids[i] == -1)
				die("fork", strerror(errno));
			if (pids[i] == 0) {
				/* The child dies of SIGALRM: a hard bound. */
				signal(SIGALRM, SIG_DFL);
				alarm(o.hardlimit);
				if (o.mode == M_SHORT)
					run_short(i);
				else
					run_pipe(i);
				_exit(0);
			}
		}
		for (i = 0; i < o.clients; i++) {
			while (waitpid(pids[i], &st, 0) == -1) {
				if (errno != EINTR || !parent_alarm)
					continue;
				kill(pids[i], SIGKILL);
				killed++;
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				crashed++;
		}
	} else if (o.mode == M_SEQ) {
		alarm(o.hardlimit);
		signal(SIGALRM, SIG_DFL);
		run_seq();
	} else {
		signal(SIGALRM, SIG_DFL);
		alarm(o.hardlimit);
		run_exec();
	}
	t1 = now_ns();
	wall = (double)(t1 - t0) / 1e9;

	/* Report.  Mean counts need all samples of all clients together. */
	printf("{\"mode\":\"%s\",", o.mode == M_SHORT ? "short" :
	    o.mode == M_PIPE ? "pipe" : o.mode == M_SEQ ? "seq" : "exec");
	if (o.mode == M_SHORT || o.mode == M_PIPE) {
		for (i = 0; i < nslots; i++) {
			s = slot_at(i);
			total += s->count;
			errors += s->errors;
			nall += s->nsamples;
			if (firsterr[0] == '\0' && s->err[0] != '\0')
				firsterr = s->err;
		}
		all = malloc(nall ? nall * sizeof(*all) : 1);
		if (all == NULL)
			die("malloc", NULL);
		for (nall = 0, i = 0; i < nslots; i++) {
			s = slot_at(i);
			memcpy(all + nall, s->samples,
			    s->nsamples * sizeof(*all));
			nall += s->nsamples;
		}
		getrusage(RUSAGE_CHILDREN, &ru);
		printf("\"request\":");
		json_str(o.reqs[0]);
		printf(",\"clients\":%u,\"depth\":%u,\"seconds\":%.3f,"
		    "\"warmup\":%.3f,\"count\":%llu,\"rate\":%.1f,"
		    "\"errors\":%llu,\"killed\":%u,\"crashed\":%u,"
		    "\"body_lines\":%llu,\"client_cpu_s\":%.3f,"
		    "\"wall_s\":%.3f,", o.clients,
		    o.mode == M_PIPE ? o.depth : 1, o.seconds, o.warmup,
		    (unsigned long long)total,
		    o.seconds > 0 ? total / o.seconds : 0.0,
		    (unsigned long long)errors, killed, crashed,
		    (unsigned long long)slot_at(0)->body_lines,
		    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, wall);
		printf("\"first_error\":");
		json_str(firsterr);
		putchar(',');
		json_stats(all, nall);
		printf("}\n");
		free(all);
		return errors > 0 || killed > 0 || crashed > 0 ? 1 : 0;
	}
	printf("\"rounds\":%u,\"wall_s\":%.3f,\"items\":[", o.rounds, wall);
	for (i = 0; i < nslots; i++) {
		s = slot_at(i);
		errors += s->errors;
		printf("%s{\"what\":", i ? "," : "");
		if (o.mode == M_SEQ)
			json_str(o.reqs[i]);
		else
			json_str(o.cmds[i][1] ? o.cmds[i][1] : o.cmds[i][0]);
		printf(",\"count\":%llu,\"errors\":%llu,\"first_error\":",
		    (unsigned long long)s->count,
		    (unsigned long long)s->errors);
		json_str(s->err);
		putchar(',');
		json_stats(s->samples, s->nsamples);
		putchar('}');
	}
	printf("]}\n");
	return errors > 0 ? 1 : 0;
}
