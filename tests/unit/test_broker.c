/*
 * test_broker.c: the broker against a worker gone bad.  The test plays the
 * master and, on channels of its own, workers that send what an honest
 * worker never would: control requests outside their session's account,
 * after the account's session ended, as anonymous or read-only; and
 * malformed requests, which must get the worker stopped (a CTL_KILL to the
 * master) while the broker goes on serving the others.  The toolstack is
 * /bin/true, so an allowed request really runs.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <crypt.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_fixture.h"
#include "config_load.h"
#include "imap.h"
#include "privmsg.h"
#include "util.h"

#define WATCHDOG_S	120

static char		 dir[] = "/tmp/argo-test-broker-XXXXXX";
static char		 xendir[300], logpath[300];
static struct config	*conf;
static struct fixture	 fix;
static int		 nextslot = 1;

static const char *
hash(const char *pw)
{
	static char	 out[4][CRYPT_OUTPUT_SIZE];
	static int	 i;
	char		*salt, *h;
	void		*data = NULL;
	int		 size = 0;

	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	assert_non_null(salt);
	h = crypt_ra(pw, salt, &data, &size);
	assert_non_null(h);
	i = (i + 1) % 4;
	util_strlcpy(out[i], h, sizeof(out[i]));
	free(salt);
	free(data);
	return (out[i]);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
setup(void **state)
{
	char	path[400], text[2048], err[256];

	(void)state;
	alarm(WATCHDOG_S);
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(xendir, sizeof(xendir), "%s/xen", dir);
	snprintf(logpath, sizeof(logpath), "%s/broker.log", dir);
	mkdir(xendir, 0755);
	snprintf(path, sizeof(path), "%s/web1.cfg", xendir);
	write_file(path, "name = \"web1\"\n");
	snprintf(path, sizeof(path), "%s/web2.cfg", xendir);
	write_file(path, "name = \"web2\"\n");
	snprintf(path, sizeof(path), "%s/db1.cfg", xendir);
	write_file(path, "name = \"db1\"\n");
	snprintf(text, sizeof(text),
	    "[server]\nxen_dir = %s\ntoolstack = /bin/true\n"
	    "anonymous_read = no\n"
	    "[user lim]\npassword = %s\ninstances = web1\n"
	    "[user ro]\npassword = %s\nreadonly = yes\n"
	    "[user admin]\npassword = %s\n", xendir, hash("lim-pw"),
	    hash("ro-pw"), hash("admin-pw"));
	if (config_load_string("t.conf", text, &conf, err, sizeof(err)) != 0)
		return (-1);
	return (fixture_start(&fix, conf, logpath));
}

static int
teardown(void **state)
{
	char	cmd[400];

	(void)state;
	fixture_stop(&fix);
	config_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return (system(cmd) == 0 ? 0 : -1);
}

static uint64_t	 begun[1024];	/* per channel fd: its session */

static int
channel(void)
{
	int	fd = fixture_channel(&fix, nextslot, 100000 + nextslot);

	assert_true(fd >= 0 && fd < 1024);
	begun[fd] = 0;		/* a new worker: no session yet */
	nextslot++;
	return (fd);
}

static void
req(struct priv_req *rq, enum priv_type type, uint64_t session,
    const char *name)
{
	privmsg_req_init(rq, type);
	rq->r_session = session;
	if (name != NULL)
		util_strlcpy(rq->r_name, name, sizeof(rq->r_name));
}

/*
 * A client as a worker has one: a TCP connection over loopback, whose
 * server end the worker holds and passes with a session's first request.
 */
static int
client_socket(const char *addr)
{
	static int		 lfd = -1;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 c, a;

	if (lfd == -1) {
		lfd = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(lfd >= 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(listen(lfd, 8), 0);
	}
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c >= 0);
	{
		struct sockaddr_in src;

		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &src.sin_addr), 1);
		assert_int_equal(bind(c, (struct sockaddr *)&src,
		    sizeof(src)), 0);
	}
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	a = accept(lfd, NULL, NULL);
	assert_true(a >= 0);
	close(c);
	return (a);
}

static const char *next_peer = "127.0.0.1";

/* The reply to the request just sent on fd: its status, -1 if none. */
static int
roundtrip_reply(int fd, const struct priv_req *rq, int *fdp)
{
	static unsigned char	 buf[PRIV_REP_MAX + 1];
	struct priv_rep		 rep;
	long			 n;

	n = privmsg_recv(fd, buf, sizeof(buf), fdp, 0);
	if (n <= 0)
		return (-1);
	assert_int_equal(privmsg_check_rep(buf, (size_t)n,
	    (enum priv_type)rq->r_type), 0);
	memcpy(&rep, buf, sizeof(rep));
	return ((int)rep.p_status);
}

/*
 * Send rq, as a worker does (a session's first request with its client
 * socket), and wait for the reply; its status (or -1 when none came).
 */
static int
roundtrip(int fd, const struct priv_req *rq, int *fdp)
{
	int	client = -1;

	assert_true(fd >= 0 && fd < 1024);
	if (begun[fd] != rq->r_session) {
		client = client_socket(next_peer);
		begun[fd] = rq->r_session;
	}
	assert_int_equal(privmsg_send(fd, rq, sizeof(*rq), client, 0), 0);
	if (client != -1)
		close(client);
	return (roundtrip_reply(fd, rq, fdp));
}

static int
control(int fd, uint64_t session, enum priv_verb verb, const char *name)
{
	struct priv_req	rq;

	req(&rq, PRIV_CONTROL, session, name);
	rq.r_verb = (uint32_t)verb;
	return (roundtrip(fd, &rq, NULL));
}

static int
auth(int fd, uint64_t session, const char *user, const char *pw)
{
	struct priv_req	rq;

	req(&rq, PRIV_AUTH, session, NULL);
	util_strlcpy(rq.r_user, user, sizeof(rq.r_user));
	util_strlcpy(rq.r_password, pw, sizeof(rq.r_password));
	return (roundtrip(fd, &rq, NULL));
}

/* Does the broker's log hold a line with every one of the words? */
static int
logged(const char *a, const char *b)
{
	char	 line[2048];
	FILE	*fp;
	int	 found = 0;

	if ((fp = fopen(logpath, "r")) == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, a) != NULL && (b == NULL ||
		    strstr(line, b) != NULL);
	fclose(fp);
	return (found);
}

static void
t_anonymous(void **state)
{
	struct priv_req	rq;
	int		fd = channel();

	(void)state;
	assert_int_equal(control(fd, 1, PV_PAUSE, "web1"), PRIV_NOAUTH);
	assert_true(logged("refused pause web1", "the session is anonymous"));
	/* anonymous_read = no: not even the domain list */
	req(&rq, PRIV_LIST, 1, NULL);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_NOAUTH);
	req(&rq, PRIV_RESOLVE, 1, "web1");
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_NOAUTH);
	close(fd);
}

static void
t_outside_account(void **state)
{
	struct priv_req	rq;
	int		fd = channel();

	(void)state;
	assert_int_equal(auth(fd, 7, "lim", "lim-pw"), PRIV_OK);
	/* What the worker claims does not matter: lim sees web1 only. */
	assert_int_equal(control(fd, 7, PV_PAUSE, "web2"), PRIV_NOSUCH);
	assert_true(logged("refused pause web2", "user=lim"));
	assert_true(logged("refused pause web2",
	    "the instance is outside the account"));
	assert_int_equal(control(fd, 7, PV_DESTROY, "db1"), PRIV_NOSUCH);
	req(&rq, PRIV_RESOLVE, 7, "db1");
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_NOSUCH);
	/* Not in the broker's scan at all. */
	assert_int_equal(control(fd, 7, PV_PAUSE, "nosuch"), PRIV_NOSUCH);
	/* Within the account it runs (the toolstack is /bin/true). */
	assert_int_equal(control(fd, 7, PV_PAUSE, "web1"), PRIV_OK);
	assert_true(logged("control peer=127.0.0.1 user=lim verb=pause "
	    "instance=web1 rc=0", NULL));
	close(fd);
}

static void
t_session_ends(void **state)
{
	int	fd = channel();

	(void)state;
	assert_int_equal(auth(fd, 1, "admin", "admin-pw"), PRIV_OK);
	assert_int_equal(control(fd, 1, PV_UNPAUSE, "web2"), PRIV_OK);
	/* The next session of the same worker starts anonymous. */
	assert_int_equal(control(fd, 2, PV_UNPAUSE, "web2"), PRIV_NOAUTH);
	close(fd);
}

static void
t_readonly_and_bad_auth(void **state)
{
	struct timespec	t0, t1;
	long		ms;
	int		fd = channel();

	(void)state;
	assert_int_equal(auth(fd, 1, "ro", "ro-pw"), PRIV_OK);
	assert_int_equal(control(fd, 1, PV_REBOOT, "web1"), PRIV_DENIED);
	assert_true(logged("refused reboot web1", "the account is read-only"));
	/* A failure costs the same delay whether the user exists or not,
	 * and leaves the session's account as it was. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(auth(fd, 1, "admin", "wrong"), PRIV_BADAUTH);
	assert_int_equal(auth(fd, 1, "nobody-here", "wrong"), PRIV_BADAUTH);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	assert_true(ms >= 1900);
	assert_int_equal(control(fd, 1, PV_REBOOT, "web1"), PRIV_DENIED);
	close(fd);
}

/* One channel's slow request never holds up another's. */
static void
t_concurrent(void **state)
{
	struct priv_req	rq;
	struct timespec	t0, t1;
	unsigned char	buf[PRIV_REP_MAX + 1];
	long		ms;
	int		a = channel(), b = channel();

	(void)state;
	req(&rq, PRIV_AUTH, 1, NULL);
	util_strlcpy(rq.r_user, "admin", sizeof(rq.r_user));
	util_strlcpy(rq.r_password, "wrong", sizeof(rq.r_password));
	{
		int client = client_socket("127.0.0.1");

		assert_int_equal(privmsg_send(a, &rq, sizeof(rq), client, 0),
		    0);
		close(client);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(auth(b, 1, "admin", "admin-pw"), PRIV_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) /
	    1000000;
	assert_true(ms < 800);
	assert_true(privmsg_recv(a, buf, sizeof(buf), NULL, 0) > 0);
	close(a);
	close(b);
}

static void	send_bad(const void *, size_t, int, const char *);

/* The current map's names, comma-joined, and its flags. */
static const char *
map_names(unsigned int *flags)
{
	static char		 out[256];
	struct instances	 m = { NULL, 0 };
	size_t			 i, len = 0;

	out[0] = '\0';
	assert_true(imap_copy(&m, flags) != 0);
	for (i = 0; i < m.in_n && len < sizeof(out); i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s",
		    i > 0 ? "," : "", m.in_v[i].i_name);
	imap_free_copy(&m);
	return (out);
}

/*
 * A scan hands back no descriptor (issue 17: a worker held an inotify
 * instance of root's); the broker's one watch tells workers through the
 * map's signal, at once, that a change waits.
 */
static void
t_scan_and_signal(void **state)
{
	struct priv_req		 rq;
	unsigned int		 flags = 0;
	char			 path[400];
	int			 fd = channel(), wfd = -1;

	(void)state;
	req(&rq, PRIV_SCAN, 1, NULL);
	assert_int_equal(roundtrip(fd, &rq, &wfd), PRIV_OK);
	assert_int_equal(wfd, -1);
	assert_string_equal(map_names(&flags), "db1,web1,web2");
	assert_true(flags & IMAP_F_WATCHABLE);
	/* The broker is idle and read everything: nothing to ask. */
	assert_true(imap_signal_fd() >= 0);
	assert_int_equal(imap_unsettled(), 0);
	/* A change is news before the broker has looked. */
	snprintf(path, sizeof(path), "%s/new1.cfg", xendir);
	write_file(path, "name = \"new1\"\n");
	assert_int_equal(imap_unsettled(), 1);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_OK);
	assert_int_equal(imap_unsettled(), 0);
	assert_string_equal(map_names(&flags), "db1,new1,web1,web2");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(imap_unsettled(), 1);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_OK);
	assert_int_equal(imap_unsettled(), 0);
	assert_string_equal(map_names(&flags), "db1,web1,web2");
	close(fd);
	/* The old ask for a watch of one's own is an attack now. */
	req(&rq, PRIV_SCAN, 1, NULL);
	rq.r_flags = 0x01;
	send_bad(&rq, sizeof(rq), 0, "the old watch flag");
	assert_true(logged("malformed request (bad flags)", NULL));
}

/* Wait (bounded) for the broker's CTL_KILL of (slot, pid). */
static int
kill_requested(int slot, pid_t pid)
{
	struct priv_ctl	c;
	struct pollfd	pfd;
	unsigned char	buf[sizeof(c) + 1];
	long		n;

	pfd.fd = fix.f_ctl;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 5000) == 1) {
		n = privmsg_recv(fix.f_ctl, buf, sizeof(buf), NULL, 0);
		if (n <= 0 || privmsg_check_ctl(buf, (size_t)n, &c) == -1)
			return (0);
		if (c.c_type == CTL_KILL && c.c_slot == slot &&
		    c.c_pid == pid)
			return (1);
	}
	return (0);
}

static void
send_bad(const void *buf, size_t len, int withfd, const char *why)
{
	unsigned char	rep[64];
	int		slot = nextslot, fd = channel(), p[2];

	if (withfd) {
		/* The session has begun: no descriptor belongs now. */
		assert_int_equal(auth(fd, ((const struct priv_req *)buf)->
		    r_session, "admin", "admin-pw"), PRIV_OK);
		assert_int_equal(pipe(p), 0);
		assert_int_equal(privmsg_send(fd, buf, len, p[0], 0), 0);
		close(p[0]);
		close(p[1]);
	} else
		assert_int_equal(privmsg_send(fd, buf, len, -1, 0), 0);
	if (!kill_requested(slot, 100000 + slot))
		fail_msg("no CTL_KILL for a request with %s", why);
	/* And the broker hangs up on it. */
	assert_true(privmsg_recv(fd, rep, sizeof(rep), NULL, 0) == 0);
	close(fd);
}

static void
t_malformed(void **state)
{
	struct priv_req	good, rq;
	unsigned char	big[sizeof(good) + 16];
	int		fd;

	(void)state;
	req(&good, PRIV_CONTROL, 1, "web1");
	good.r_verb = PV_PAUSE;
	send_bad(&good, sizeof(good) - 1, 0, "a short length");
	memset(big, 0, sizeof(big));
	memcpy(big, &good, sizeof(good));
	send_bad(big, sizeof(big), 0, "an oversized length");
	rq = good;
	rq.r_magic ^= 1;
	send_bad(&rq, sizeof(rq), 0, "a bad magic");
	rq = good;
	rq.r_type = 99;
	send_bad(&rq, sizeof(rq), 0, "an unknown type");
	rq = good;
	rq.r_verb = 99;
	send_bad(&rq, sizeof(rq), 0, "an unknown verb");
	rq = good;
	rq.r_name[sizeof(rq.r_name) - 1] = 'x';
	send_bad(&rq, sizeof(rq), 0, "garbage after a name");
	rq = good;
	util_strlcpy(rq.r_name, "../etc", sizeof(rq.r_name));
	send_bad(&rq, sizeof(rq), 0, "a path for a name");
	rq = good;
	util_strlcpy(rq.r_password, "x", sizeof(rq.r_password));
	send_bad(&rq, sizeof(rq), 0, "a password in a control request");
	/* A session's first request without its client, a second with one. */
	send_bad(&good, sizeof(good), 0, "a new session and no client");
	send_bad(&good, sizeof(good), 1, "a descriptor attached");
	assert_true(logged("malformed request (short request)", NULL));
	assert_true(logged("began a session without its client", NULL));
	assert_true(logged("sent a descriptor", NULL));
	/* The broker goes on. */
	fd = channel();
	assert_int_equal(auth(fd, 1, "admin", "admin-pw"), PRIV_OK);
	assert_int_equal(control(fd, 1, PV_PAUSE, "web1"), PRIV_OK);
	close(fd);
}

/* One watch reply read from fd: its status, its payload in *out. */
static int
watch_reply(int fd, enum priv_type type, char *out, size_t outlen)
{
	static unsigned char	 buf[PRIV_REP_MAX + 1];
	struct priv_rep		 rep;
	long			 n;

	n = privmsg_recv(fd, buf, sizeof(buf), NULL, 0);
	assert_true(n > 0);
	assert_int_equal(privmsg_check_rep(buf, (size_t)n, type), 0);
	memcpy(&rep, buf, sizeof(rep));
	assert_true(rep.p_outlen < outlen);
	memcpy(out, buf + sizeof(rep), rep.p_outlen);
	out[rep.p_outlen] = '\0';
	return ((int)rep.p_status);
}

/* A session (admin) that joins a watch if asked, then sends bad: killed. */
static void
watch_bad(int join, int next, enum priv_type bad, const char *why)
{
	struct priv_req	rq;
	unsigned char	rep[64];
	int		slot = nextslot, fd = channel();

	assert_int_equal(auth(fd, 1, "admin", "admin-pw"), PRIV_OK);
	if (join) {
		req(&rq, PRIV_WATCH, 1, NULL);
		assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_OK);
	}
	if (next) {
		req(&rq, PRIV_WATCH_NEXT, 1, NULL);
		assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), -1, 0), 0);
	}
	req(&rq, bad, 1, NULL);
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), -1, 0), 0);
	if (!kill_requested(slot, 100000 + slot))
		fail_msg("no CTL_KILL for a worker that %s", why);
	assert_true(logged(why, NULL));
	/* Whatever it was owed, then the hang-up. */
	while (privmsg_recv(fd, rep, sizeof(rep), NULL, 0) > 0)
		;
	close(fd);
}

/*
 * A watch (issue 21): refused like list without an account; joined, its
 * first poll at once (/bin/true lists nothing a parser takes: the one line
 * is the failure); a NEXT held is answered before the end; and a watching
 * channel may send nothing else.
 */
static void
t_watch(void **state)
{
	struct priv_req	rq;
	char		out[PRIV_OUT_MAX + 1];
	int		fd;

	(void)state;
	fd = channel();
	req(&rq, PRIV_WATCH, 1, NULL);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_NOAUTH);
	assert_int_equal(auth(fd, 1, "lim", "lim-pw"), PRIV_OK);
	req(&rq, PRIV_WATCH, 1, NULL);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_OK);
	req(&rq, PRIV_WATCH_NEXT, 1, NULL);
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), -1, 0), 0);
	assert_int_equal(watch_reply(fd, PRIV_WATCH_NEXT, out, sizeof(out)),
	    PRIV_OK);
	assert_non_null(strstr(out, "Z - toolstack failed: unexpected output "
	    "from list\n"));
	assert_null(strchr(strchr(out, '\n') + 1, '\n'));	/* one line */
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), -1, 0), 0);
	req(&rq, PRIV_WATCH_END, 1, NULL);
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), -1, 0), 0);
	assert_int_equal(watch_reply(fd, PRIV_WATCH_NEXT, out, sizeof(out)),
	    PRIV_OK);
	assert_string_equal(out, "");
	assert_int_equal(watch_reply(fd, PRIV_WATCH_END, out, sizeof(out)),
	    PRIV_OK);
	/* Back to one reply a request. */
	req(&rq, PRIV_LIST, 1, NULL);
	assert_int_equal(roundtrip(fd, &rq, NULL), PRIV_OK);
	close(fd);

	watch_bad(0, 0, PRIV_WATCH_NEXT, "asked for watch lines without a "
	    "watch");
	watch_bad(0, 0, PRIV_WATCH_END, "asked for watch lines without a "
	    "watch");
	watch_bad(1, 0, PRIV_LIST, "asked for more than its watch");
	watch_bad(1, 1, PRIV_WATCH, "asked for more than its watch");
	watch_bad(1, 1, PRIV_WATCH_NEXT, "asked for watch lines twice");
}

/*
 * The peer the broker logs is the kernel's, from the socket the worker
 * hands over; a worker that hands over something else gets "unknown",
 * never a peer of its choosing.
 */
static void
t_peer_from_kernel(void **state)
{
	struct priv_req	rq;
	int		fd = channel(), p[2];

	(void)state;
	next_peer = "127.0.0.7";
	assert_int_equal(auth(fd, 1, "ro", "ro-pw"), PRIV_OK);
	next_peer = "127.0.0.1";
	assert_true(logged("auth ok peer=127.0.0.7 user=ro", NULL));
	assert_int_equal(pipe(p), 0);
	req(&rq, PRIV_AUTH, 2, NULL);
	util_strlcpy(rq.r_user, "lim", sizeof(rq.r_user));
	util_strlcpy(rq.r_password, "lim-pw", sizeof(rq.r_password));
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), p[0], 0), 0);
	begun[fd] = 2;
	close(p[0]);
	close(p[1]);
	assert_int_equal(roundtrip_reply(fd, &rq, NULL), PRIV_OK);
	assert_true(logged("auth ok peer=unknown user=lim", NULL));
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_anonymous),
		cmocka_unit_test(t_outside_account),
		cmocka_unit_test(t_session_ends),
		cmocka_unit_test(t_readonly_and_bad_auth),
		cmocka_unit_test(t_concurrent),
		cmocka_unit_test(t_scan_and_signal),
		cmocka_unit_test(t_malformed),
		cmocka_unit_test(t_watch),
		cmocka_unit_test(t_peer_from_kernel),
	};

	return (cmocka_run_group_tests_name("broker", tests, setup,
	    teardown));
}
