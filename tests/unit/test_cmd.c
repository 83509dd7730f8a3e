/*
 * test_cmd.c: the command table and the dispatcher's checks, which run
 * before any handler: lookup, arity, permission, instance visibility.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cmd.h"
#include "config_load.h"
#include "instances_scan.h"
#include "worker_ask.h"
#include "broker_fixture.h"

#define HASH "$y$j9T$LJifUz5D1x5186NZrcnta1$10yanbDQhT4MxUisLSU0i2.4rY.ef4H59.4z3OEVpk2"

static char		xendir[] = "/tmp/argo-test-cmd-XXXXXX";
static struct config	*conf;
static struct fixture	 fix;
static int		 client[2];

static int
setup(void **state)
{
	char	path[256], text[1024];
	FILE	*fp;
	char	err[256];

	(void)state;
	if (mkdtemp(xendir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/web1.cfg", xendir);
	fp = fopen(path, "w");
	fputs("name = \"web1\"\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/db1.cfg", xendir);
	fp = fopen(path, "w");
	fputs("name = 'db1'\n", fp);
	fclose(fp);
	snprintf(text, sizeof(text),
	    "[server]\nxen_dir = %s\ntoolstack = /nonexistent/xl\n"
	    "anonymous_read = no\n"
	    "[user ro]\npassword = " HASH "\nreadonly = yes\n"
	    "[user web]\npassword = " HASH "\ninstances = web1\n"
	    "[user all]\npassword = " HASH "\n", xendir);
	if (config_load_string("t.conf", text, &conf, err, sizeof(err)) != 0)
		return (-1);
	/* The map comes from a broker, as in a worker. */
	if (fixture_start(&fix, conf, NULL) == -1)
		return (-1);
	ask_init(fixture_channel(&fix, 0, getpid()));
	/* A client socket for the broker to learn the session's peer from. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, client) == -1)
		return (-1);
	ask_session(1, client[0]);
	return (0);
}

static int
teardown(void **state)
{
	char	path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/web1.cfg", xendir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/db1.cfg", xendir);
	unlink(path);
	rmdir(xendir);
	fixture_stop(&fix);
	config_free(conf);
	instances_reset();
	return (0);
}

/* Run one request line as user (NULL: anonymous); return the reply. */
static char *
run(const char *user, const char *line)
{
	static char	 reply[8192];
	struct session	 s;
	char		 copy[1100], *argv[ARGO_MAX_WORDS + 1];
	int		 argc;

	memset(&s, 0, sizeof(s));
	s.s_fd = -1;
	s.s_conf = conf;
	s.s_user = user ? config_user(conf, user) : NULL;
	snprintf(s.s_peer, sizeof(s.s_peer), "127.0.0.1");
	snprintf(copy, sizeof(copy), "%s", line);
	argc = lb_split(copy, argv, ARGO_MAX_WORDS);
	cmd_dispatch(&s, argc < 0 ? ARGO_MAX_WORDS + 1 : argc, argv);
	snprintf(reply, sizeof(reply), "%.*s", (int)s.s_outlen, s.s_out);
	free(s.s_out);
	return (reply);
}

static void
t_table(void **state)
{
	const struct cmd	*t;
	size_t			 n, i, j;

	(void)state;
	t = cmd_table(&n);
	assert_true(n >= 21);
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].c_usage);
		assert_non_null(t[i].c_run);
		if (!(t[i].c_flags & CMD_F_ALIAS))
			assert_non_null(t[i].c_help);
		/* The usage starts with the words that select the row. */
		assert_int_equal(strncasecmp(t[i].c_usage, t[i].c_word,
		    strlen(t[i].c_word)), 0);
		for (j = i + 1; j < n; j++) {
			int same_sub = (t[i].c_sub == NULL && t[j].c_sub ==
			    NULL) || (t[i].c_sub && t[j].c_sub &&
			    strcasecmp(t[i].c_sub, t[j].c_sub) == 0);

			assert_false(strcasecmp(t[i].c_word, t[j].c_word) ==
			    0 && same_sub);
		}
		/* Every control command but console is a toolstack verb. */
		if (t[i].c_need == NEED_CONTROL &&
		    strcmp(t[i].c_word, "console") != 0)
			assert_non_null(privmsg_verb_name(t[i].c_verb));
	}
}

static void
t_lookup_and_arity(void **state)
{
	(void)state;
	assert_string_equal(run(NULL, "frobnicate"), "400 UNKNOWN COMMAND\n");
	assert_string_equal(run(NULL, "VERSION"),
	    "200 OK\nargo-server " ARGO_VERSION "\n300 DONE\n");
	assert_string_equal(run(NULL, "version now"), "400 USAGE: version\n");
	assert_string_equal(run(NULL, "list"),
	    "400 USAGE: list available|running\n");
	assert_string_equal(run(NULL, "list foo"),
	    "400 USAGE: list available|running\n");
	assert_string_equal(run(NULL, "list available extra"),
	    "400 USAGE: list available|running\n");
	assert_string_equal(run(NULL, "auth steve"),
	    "400 USAGE: auth USER PASSWORD\n");
	assert_string_equal(run(NULL, "pause"), "400 USAGE: pause NAME\n");
	assert_string_equal(run(NULL, "pause a b c d e f g h i j"),
	    "400 USAGE: pause NAME\n");
	assert_string_equal(run(NULL, "whoami"),
	    "200 OK\nanonymous\n300 DONE\n");
	assert_string_equal(run("ro", "WhoAmI"), "200 OK\nro\n300 DONE\n");
	assert_string_equal(run(NULL, "quit"), "200 OK\n300 BYE\n");
	assert_string_equal(run(NULL, "EXIT"), "200 OK\n300 BYE\n");
}

static void
t_permissions(void **state)
{
	(void)state;
	/* anonymous_read = no in this config */
	assert_string_equal(run(NULL, "list available"),
	    "400 NOT AUTHENTICATED\n");
	assert_string_equal(run(NULL, "status web1"),
	    "400 NOT AUTHENTICATED\n");
	assert_string_equal(run(NULL, "pause web1"),
	    "400 NOT AUTHENTICATED\n");
	assert_string_equal(run("ro", "list available"),
	    "200 OK\ndb1\nweb1\n300 DONE\n");
	assert_string_equal(run("ro", "pause web1"),
	    "400 PERMISSION DENIED\n");
	assert_string_equal(run("ro", "start web1"),
	    "400 PERMISSION DENIED\n");
	assert_string_equal(run("web", "list available"),
	    "200 OK\nweb1\n300 DONE\n");
	assert_string_equal(run("web", "pause db1"),
	    "400 NO SUCH INSTANCE\n");
	assert_string_equal(run("web", "status db1"),
	    "400 NO SUCH INSTANCE\n");
	assert_string_equal(run("web", "ip db1"), "400 NO SUCH INSTANCE\n");
}

static void
t_hostile_names(void **state)
{
	static const char *bad[] = {
		"start ../../etc/passwd", "pause Domain-0", "pause 0",
		"pause -h", "pause web1;reboot", "pause WEB1", "pause web",
		"destroy $(reboot)", "unpause `id`", "reboot web1.cfg",
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_string_equal(run("all", bad[i]),
		    "400 NO SUCH INSTANCE\n");
}

static void
t_help(void **state)
{
	const struct cmd	*t;
	size_t			 n, i;
	char			*r = run(NULL, "help");

	(void)state;
	t = cmd_table(&n);
	assert_int_equal(strncmp(r, "200 OK\n", 7), 0);
	for (i = 0; i < n; i++)
		if (!(t[i].c_flags & CMD_F_ALIAS))
			assert_non_null(strstr(r, t[i].c_usage));
	assert_non_null(strstr(r, "\n300 DONE\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_table),
		cmocka_unit_test(t_lookup_and_arity),
		cmocka_unit_test(t_permissions),
		cmocka_unit_test(t_hostile_names),
		cmocka_unit_test(t_help),
	};

	return (cmocka_run_group_tests_name("cmd", tests, setup, teardown));
}
