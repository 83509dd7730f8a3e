/*
 * test_broker_uid.c: a socket session's account is the broker's reading of
 * the kernel, never a worker's word (DESIGN.md 8).  The test plays the
 * master and a compromised worker: its client is one end of a UNIX
 * socketpair, whose SO_PEERCRED is this test's own uid, mapped to account
 * "mine" (web1 only); account "other" (everything) is mapped to another
 * uid.  Whatever the worker sends, it never gets "other": a whoami that
 * names it is a malformed request (the worker is stopped), a control on
 * other's instance is refused, and auth to an account without a password
 * fails.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "broker_fixture.h"
#include "config_load.h"
#include "privmsg.h"
#include "util.h"

#define WATCHDOG_S	120

static char		 dir[] = "/tmp/argo-test-uid-XXXXXX";
static struct config	*conf;
static struct fixture	 fix;
static int		 nextslot = 1;

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
	char		path[400], xendir[300], logpath[300], text[1024];
	char		err[256];
	unsigned long	me = (unsigned long)getuid();

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
	snprintf(text, sizeof(text),
	    "[server]\nxen_dir = %s\ntoolstack = /bin/true\n"
	    "anonymous_read = no\n"
	    "[user mine]\nunix_users = %lu\ninstances = web1\n"
	    "[user other]\nunix_users = %lu\n", xendir, me, me + 12345);
	if (config_load_string("t.conf", text, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	return (fixture_start(&fix, conf, logpath));
}

static int
teardown(void **state)
{
	char	path[400];

	(void)state;
	fixture_stop(&fix);
	config_free(conf);
	snprintf(path, sizeof(path), "%s/broker.log", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/xen/web1.cfg", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/xen/web2.cfg", dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/xen", dir);
	(void)rmdir(path);
	return (rmdir(dir));
}

static int
channel(void)
{
	int	fd = fixture_channel(&fix, nextslot, 100000 + nextslot);

	assert_true(fd >= 0);
	nextslot++;
	return (fd);
}

/* Send rq with client (or none: -1); the reply's status and payload. */
static int
ask(int fd, struct priv_req *rq, int client, char *out, size_t outlen)
{
	static unsigned char	 buf[PRIV_REP_MAX + 1];
	struct priv_rep		 rep;
	long			 n;

	rq->r_magic = PRIV_MAGIC;
	assert_int_equal(privmsg_send(fd, rq, sizeof(*rq), client, 0), 0);
	if ((n = privmsg_recv(fd, buf, sizeof(buf), NULL, 0)) <= 0)
		return (-1);
	assert_int_equal(privmsg_check_rep(buf, (size_t)n,
	    (enum priv_type)rq->r_type), 0);
	memcpy(&rep, buf, sizeof(rep));
	if (out != NULL) {
		assert_true(rep.p_outlen < outlen);
		memcpy(out, buf + sizeof(rep), rep.p_outlen);
		out[rep.p_outlen] = '\0';
	}
	return ((int)rep.p_status);
}

/* A client of the local socket, as a worker holds one. */
static int
unix_client(void)
{
	int	sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	return (sv[0]);
}

static int
control(int fd, uint64_t session, const char *name, int client)
{
	struct priv_req	rq;

	privmsg_req_init(&rq, PRIV_CONTROL);
	rq.r_session = session;
	rq.r_verb = PV_PAUSE;
	util_strlcpy(rq.r_name, name, sizeof(rq.r_name));
	return (ask(fd, &rq, client, NULL, 0));
}

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

/* The honest path: the kernel's uid is "mine", from the first byte. */
static void
t_uid_is_the_account(void **state)
{
	struct priv_req	rq;
	char		name[ARGO_MAX_NAME + 1];
	int		fd = channel(), c = unix_client();

	(void)state;
	privmsg_req_init(&rq, PRIV_WHOAMI);
	rq.r_session = 1;
	assert_int_equal(ask(fd, &rq, c, name, sizeof(name)), PRIV_OK);
	close(c);
	assert_string_equal(name, "mine");
	assert_int_equal(control(fd, 1, "web1", -1), PRIV_OK);
	assert_int_equal(control(fd, 1, "web2", -1), PRIV_NOSUCH);
	/* A control as the first request maps the uid just the same. */
	c = unix_client();
	assert_int_equal(control(fd, 2, "web1", c), PRIV_OK);
	close(c);
	close(fd);
}

/* A whoami that names an account is no request an honest worker sends. */
static void
t_claimed_account_stops_the_worker(void **state)
{
	struct priv_req	rq;
	unsigned char	rep[64];
	int		slot = nextslot, fd = channel(), c = unix_client();

	(void)state;
	privmsg_req_init(&rq, PRIV_WHOAMI);
	rq.r_session = 1;
	util_strlcpy(rq.r_user, "other", sizeof(rq.r_user));
	assert_int_equal(privmsg_send(fd, &rq, sizeof(rq), c, 0), 0);
	close(c);
	assert_true(kill_requested(slot, 100000 + slot));
	assert_true(privmsg_recv(fd, rep, sizeof(rep), NULL, 0) == 0);
	close(fd);
}

/* Other's instance stays other's, whatever socket the worker shows. */
static void
t_no_way_to_other(void **state)
{
	struct priv_req	rq;
	char		name[ARGO_MAX_NAME + 1];
	int		fd = channel(), c = unix_client(), p[2];

	(void)state;
	assert_int_equal(control(fd, 1, "web2", c), PRIV_NOSUCH);
	close(c);
	/* Not a socket at all: no peer, no account. */
	assert_int_equal(pipe(p), 0);
	privmsg_req_init(&rq, PRIV_WHOAMI);
	rq.r_session = 2;
	assert_int_equal(ask(fd, &rq, p[0], name, sizeof(name)), PRIV_OK);
	close(p[0]);
	close(p[1]);
	assert_string_equal(name, "");
	assert_int_equal(control(fd, 2, "web2", -1), PRIV_NOAUTH);
	/* An account reached only by its uids has no password to guess. */
	privmsg_req_init(&rq, PRIV_AUTH);
	rq.r_session = 2;
	util_strlcpy(rq.r_user, "other", sizeof(rq.r_user));
	util_strlcpy(rq.r_password, "anything", sizeof(rq.r_password));
	assert_int_equal(ask(fd, &rq, -1, NULL, 0), PRIV_BADAUTH);
	assert_int_equal(control(fd, 2, "web2", -1), PRIV_NOAUTH);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_uid_is_the_account),
		cmocka_unit_test(t_claimed_account_stops_the_worker),
		cmocka_unit_test(t_no_way_to_other),
	};

	return (cmocka_run_group_tests_name("broker_uid", tests, setup,
	    teardown));
}
