/*
 * test_config.c: the configuration loader: defaults, every key and its
 * range, every error with its FILE:LINE, users and the allow-list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_load.h"

/* A real yescrypt hash (of "secret"), made with argo-server -H. */
#define HASH "$y$j9T$LJifUz5D1x5186NZrcnta1$10yanbDQhT4MxUisLSU0i2.4rY.ef4H59.4z3OEVpk2"

static struct config *
load_ok(const char *text)
{
	struct config	*c = NULL;
	char		 err[256] = "";

	if (config_load_string("t.conf", text, &c, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	return (c);
}

static void
expect_err(const char *text, const char *want)
{
	struct config	*c = NULL;
	char		 err[256] = "";

	assert_int_equal(config_load_string("t.conf", text, &c, err,
	    sizeof(err)), -1);
	assert_null(c);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void
t_defaults(void **state)
{
	struct config *c = load_ok("");

	(void)state;
	assert_int_equal(c->c_port, 20203);
	assert_int_equal(c->c_nlisten, 2);
	assert_string_equal(c->c_listen[0], "0.0.0.0");
	assert_string_equal(c->c_listen[1], "::");
	assert_int_equal(c->c_workers, 4);
	assert_int_equal(c->c_max_clients, 64);
	assert_int_equal(c->c_max_per_host, 8);
	assert_int_equal(c->c_idle_timeout, 300);
	assert_int_equal(c->c_login_timeout, 30);
	assert_int_equal(c->c_max_auth_tries, 3);
	assert_string_equal(c->c_xen_dir, "/etc/xen");
	assert_string_equal(c->c_toolstack, "/usr/sbin/xl");
	assert_int_equal(c->c_toolstack_timeout, 60);
	assert_int_equal(c->c_watch_interval, 2);
	assert_string_equal(c->c_pidfile, "/run/argo-server.pid");
	assert_int_equal(c->c_anonymous_read, 1);
	assert_int_equal(c->c_nallow, 0);
	assert_int_equal(c->c_nusers, 0);
	config_free(c);
}

static void
t_every_key(void **state)
{
	struct config *c = load_ok(
	    "; comment\n"
	    "# another\n"
	    "[server]\n"
	    "port = 2000\n"
	    "listen = 127.0.0.1 ::1   ; inline comment\n"
	    "workers = 2\n"
	    "max_clients = 10\n"
	    "max_per_host = 3\n"
	    "idle_timeout = 60\n"
	    "login_timeout = 5\n"
	    "max_auth_tries = 7\n"
	    "xen_dir = /srv/xen\n"
	    "toolstack = /usr/sbin/xm\n"
	    "toolstack_timeout = 9\n"
	    "pidfile =\n"
	    "anonymous_read = no\n"
	    "[allow]\n"
	    "client = 10.0.0.0/8\n"
	    "client = ::1\n"
	    "[user steve]\n"
	    "password = " HASH "\n"
	    "instances = web1 db1\n"
	    "readonly = yes\n"
	    "[user root]\n"
	    "password = " HASH "\n");

	(void)state;
	assert_int_equal(c->c_port, 2000);
	assert_int_equal(c->c_nlisten, 2);
	assert_string_equal(c->c_listen[1], "::1");
	assert_int_equal(c->c_workers, 2);
	assert_int_equal(c->c_max_clients, 10);
	assert_int_equal(c->c_max_per_host, 3);
	assert_int_equal(c->c_idle_timeout, 60);
	assert_int_equal(c->c_login_timeout, 5);
	assert_int_equal(c->c_max_auth_tries, 7);
	assert_string_equal(c->c_xen_dir, "/srv/xen");
	assert_string_equal(c->c_toolstack, "/usr/sbin/xm");
	assert_int_equal(c->c_toolstack_timeout, 9);
	assert_string_equal(c->c_pidfile, "");
	assert_int_equal(c->c_anonymous_read, 0);
	assert_int_equal(c->c_nallow, 2);
	assert_int_equal(c->c_nusers, 2);
	assert_string_equal(c->c_users[0].u_name, "steve");
	assert_int_equal(c->c_users[0].u_readonly, 1);
	assert_int_equal(c->c_users[0].u_all, 0);
	assert_int_equal(c->c_users[0].u_ninstances, 2);
	assert_true(config_user_sees(&c->c_users[0], "db1"));
	assert_false(config_user_sees(&c->c_users[0], "mail"));
	assert_int_equal(c->c_users[1].u_all, 1);
	assert_int_equal(c->c_users[1].u_readonly, 0);
	assert_true(config_user_sees(&c->c_users[1], "anything"));
	assert_true(config_user_sees(NULL, "anything"));
	assert_non_null(config_user(c, "root"));
	assert_null(config_user(c, "Root"));
	config_free(c);
}

static void
t_booleans(void **state)
{
	static const char *yes[] = { "yes", "YES", "true", "on", "1" };
	static const char *no[] = { "no", "False", "off", "0" };
	char	buf[128];
	size_t	i;

	(void)state;
	for (i = 0; i < 5; i++) {
		struct config *c;

		snprintf(buf, sizeof(buf), "[server]\nanonymous_read = %s\n",
		    yes[i]);
		c = load_ok(buf);
		assert_int_equal(c->c_anonymous_read, 1);
		config_free(c);
	}
	for (i = 0; i < 4; i++) {
		struct config *c;

		snprintf(buf, sizeof(buf), "[server]\nanonymous_read = %s\n",
		    no[i]);
		c = load_ok(buf);
		assert_int_equal(c->c_anonymous_read, 0);
		config_free(c);
	}
	expect_err("[server]\nanonymous_read = maybe\n",
	    "t.conf:2: anonymous_read: 'maybe' is not yes or no");
}

static void
t_ranges(void **state)
{
	static const struct {
		const char *key, *bad, *good;
	} r[] = {
		{ "port", "65536", "0" },
		{ "port", "-1", "65535" },
		{ "workers", "0", "1" },
		{ "max_clients", "1025", "1024" },
		{ "max_per_host", "0", "1024" },
		{ "idle_timeout", "86401", "86400" },
		{ "login_timeout", "3601", "1" },
		{ "max_auth_tries", "101", "100" },
		{ "toolstack_timeout", "0", "3600" },
		{ "watch_interval", "0", "1" },
		{ "watch_interval", "61", "60" },
		{ "port", "12ab", "1" },
		{ "port", "", "2" },
		{ "port", "0x10", "3" },
		{ "port", "1 2", "4" },
	};
	char	buf[128], want[128];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		struct config *c;

		snprintf(buf, sizeof(buf), "[server]\n\n%s = %s\n", r[i].key,
		    r[i].bad);
		snprintf(want, sizeof(want), "t.conf:3: %s:", r[i].key);
		expect_err(buf, want);
		snprintf(buf, sizeof(buf), "[server]\nmax_clients = 1024\n"
		    "%s = %s\n", r[i].key, r[i].good);
		if (strcmp(r[i].key, "max_clients") == 0)
			snprintf(buf, sizeof(buf), "[server]\n%s = %s\n",
			    r[i].key, r[i].good);
		c = load_ok(buf);
		config_free(c);
	}
}

static void
t_errors(void **state)
{
	(void)state;
	expect_err("[server]\nport = 1\nbogus = 2\n",
	    "t.conf:3: unknown key 'bogus' in [server]");
	expect_err("[server]\nport = 1\n\n[nonsense]\n",
	    "t.conf:4: unknown section [nonsense]");
	expect_err("[server]\n[nonsense]\nx = 1\n",
	    "t.conf:2: unknown section [nonsense]");
	expect_err("[server]\nport = 1\nport = 2\n",
	    "t.conf:3: 'port' is set twice");
	expect_err("port = 1\n", "t.conf:1: 'port' is outside any section");
	expect_err("[server]\nthis line has no equals sign\n",
	    "t.conf:2: syntax error");
	expect_err("[allow]\nclient = 10.0.0.0/33\n", "t.conf:2: client:");
	expect_err("[allow]\nclient = 256.1.1.1\n", "t.conf:2: client:");
	expect_err("[allow]\nhost = 10.0.0.1\n",
	    "t.conf:2: unknown key 'host' in [allow]");
	expect_err("[server]\nlisten = localhost\n",
	    "t.conf:2: listen: 'localhost' is not a numeric");
	expect_err("[server]\nxen_dir = etc/xen\n",
	    "t.conf:2: xen_dir: 'etc/xen' is not an absolute path");
	expect_err("[server]\ntoolstack = xl\n",
	    "t.conf:2: toolstack: 'xl' is not an absolute path");
	expect_err("[server]\nworkers = 10\nmax_clients = 5\n",
	    "workers (10) must not exceed max_clients (5)");
	expect_err("[user steve]\npassword = secret\n",
	    "t.conf:2: password of user steve must be a crypt(3) hash");
	expect_err("[user steve]\npassword = $1\n",
	    "t.conf:2: password of user steve must be a crypt(3) hash");
	expect_err("[user steve]\ninstances = a\n\n[server]\n",
	    "t.conf:1: user steve has no password");
	expect_err("[user steve]\n", "t.conf:1: user steve has no password");
	expect_err("[user steve]\npassword = " HASH "\n[user steve]\n",
	    "t.conf:3: [user steve] appears twice");
	expect_err("[user -x]\npassword = " HASH "\n",
	    "t.conf:1: [user -x]: invalid user name");
	expect_err("[user steve]\npassword = " HASH "\nshell = /bin/sh\n",
	    "t.conf:3: unknown key 'shell' in [user steve]");
	expect_err("[user steve]\npassword = " HASH "\ninstances = ../x\n",
	    "t.conf:3: instances: '../x' is not a valid instance name");
	expect_err("[user steve]\npassword = " HASH "\nreadonly = perhaps\n",
	    "t.conf:3: readonly:");
}

static void
t_line_limits(void **state)
{
	char	buf[600];
	struct config *c;

	(void)state;
	/* inih's buffer: 197 bytes of line are fine, 198 are not. */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "[server]\nxen_dir = /");
	memset(buf + strlen(buf), 'a', 197 - 11);
	strcat(buf, "\n");
	c = load_ok(buf);
	assert_int_equal(strlen(c->c_xen_dir), 197 - 10);
	config_free(c);
	/* The longest line, 198 bytes, ended by CRLF: the CR does not
	 * count, so CRLF files take the same lines as LF ones. */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "[server]\r\nxen_dir = /");
	memset(buf + strlen(buf), 'a', 198 - 11);
	strcat(buf, "\r\n");
	c = load_ok(buf);
	assert_int_equal(strlen(c->c_xen_dir), 198 - 10);
	config_free(c);

	memset(buf, 0, sizeof(buf));
	strcpy(buf, "[server]\nxen_dir = /");
	memset(buf + strlen(buf), 'a', 400);
	strcat(buf, "\nport = 1\n");
	expect_err(buf, "t.conf:2: line longer than");
}

static void
t_crlf_and_indent(void **state)
{
	struct config *c = load_ok("[server]\r\n  port = 7\r\n"
	    "\tworkers = 3\r\n");

	(void)state;
	assert_int_equal(c->c_port, 7);
	assert_int_equal(c->c_workers, 3);
	config_free(c);
	/* A UTF-8 BOM (skipped by inih) does not hide the first header. */
	c = load_ok("\xEF\xBB\xBF[server]\nport = 8\n");
	assert_int_equal(c->c_port, 8);
	config_free(c);
}

static void
t_file(void **state)
{
	char		 path[] = "/tmp/argo-test-conf-XXXXXX", err[256];
	struct config	*c = NULL;
	int		 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "[server]\nport = 5\n", 18), 18);
	close(fd);
	chmod(path, 0600);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c->c_port, 5);
	config_free(c);
	chmod(path, 0620);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	unlink(path);
	assert_int_equal(config_load(path, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(config_load("/tmp", &c, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_defaults),
		cmocka_unit_test(t_every_key),
		cmocka_unit_test(t_booleans),
		cmocka_unit_test(t_ranges),
		cmocka_unit_test(t_errors),
		cmocka_unit_test(t_line_limits),
		cmocka_unit_test(t_crlf_and_indent),
		cmocka_unit_test(t_file),
	};

	return (cmocka_run_group_tests_name("config", tests, NULL, NULL));
}
