/*
 * test_confwire.c: the worker's share of the configuration, as the master
 * packs it into an argo-worker's handoff and the worker unpacks it
 * (confwire.h, DESIGN.md 5.2): what a worker uses arrives whole, no
 * password hash and no unix_users ever leave the master, and every
 * malformed buffer is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_load.h"
#include "confwire.h"

#define HASH	"$6$saltsalt$Vx0Q4bJKlyZ8v7ZdK1Hn9bW0wPjOaUqYz3uRzC5bD1mK" \
		"x1Yv0bH4oQ3p2zT8rJ7aK9sL5dF6gH0jW1eR2tY3u."

static const char conf_text[] =
    "[server]\n"
    "workers = 5\nmax_clients = 40\nmax_per_host = 3\n"
    "per_host_prefix6 = 56\nidle_timeout = 77\nlogin_timeout = 12\n"
    "max_auth_tries = 4\nanonymous_read = yes\n"
    "[allow]\nclient = 10.1.0.0/16\nclient = 2001:db8::/32\n"
    "[user alice]\npassword = " HASH "\nunix_users = 4242\n"
    "instances = web1 db1\nreadonly = yes\n"
    "[user root2]\npassword = " HASH "\ninstances = *\n";

static struct config *
load(void)
{
	struct config	*c = NULL;
	char		 err[256];

	if (config_load_string("t.conf", conf_text, &c, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return (c);
}

static void
test_round_trip(void **state)
{
	struct config	*c = load(), *w = NULL;
	const struct user *u;
	unsigned char	*buf;
	size_t		 len;
	char		 err[256];

	(void)state;
	buf = confwire_pack(c, &len);
	assert_int_equal(confwire_unpack(buf, len, &w, err, sizeof(err)), 0);
	assert_int_equal(w->c_workers, 5);
	assert_int_equal(w->c_max_clients, 40);
	assert_int_equal(w->c_max_per_host, 3);
	assert_int_equal(w->c_per_host_prefix6, 56);
	assert_int_equal(w->c_idle_timeout, 77);
	assert_int_equal(w->c_login_timeout, 12);
	assert_int_equal(w->c_max_auth_tries, 4);
	assert_int_equal(w->c_anonymous_read, 1);
	assert_int_equal(w->c_nallow, 2);
	assert_memory_equal(w->c_allow, c->c_allow, 2 * sizeof(*c->c_allow));
	assert_int_equal(w->c_nusers, 2);
	u = config_user(w, "alice");
	assert_non_null(u);
	assert_int_equal(u->u_readonly, 1);
	assert_int_equal(u->u_all, 0);
	assert_true(config_user_sees(u, "web1"));
	assert_true(config_user_sees(u, "db1"));
	assert_false(config_user_sees(u, "web2"));
	/* Never a hash, never a uid: nothing to find, nothing to map. */
	assert_null(u->u_hash);
	assert_int_equal(u->u_nuids, 0);
	assert_null(config_user_by_uid(w, 4242));
	u = config_user(w, "root2");
	assert_non_null(u);
	assert_int_equal(u->u_all, 1);
	assert_true(config_user_sees(u, "anything"));
	free(buf);
	config_free(w);
	config_free(c);
}

/* The hash is in the master's config, and in no byte of the packed one. */
static void
test_no_secret_packed(void **state)
{
	struct config	*c = load();
	unsigned char	*buf;
	size_t		 len;
	uint32_t	 uid = 4242;

	(void)state;
	assert_non_null(config_user(c, "alice")->u_hash);
	buf = confwire_pack(c, &len);
	assert_null(memmem(buf, len, "$6$saltsalt", 11));
	assert_null(memmem(buf, len, "Vx0Q4bJK", 8));
	assert_null(memmem(buf, len, &uid, sizeof(uid)));
	free(buf);
	config_free(c);
}

/* Every strict prefix is short, one more byte is trailing: both refused. */
static void
test_truncated_and_trailing(void **state)
{
	struct config	*c = load(), *w;
	unsigned char	*buf, *big;
	size_t		 len, i;
	char		 err[256];

	(void)state;
	buf = confwire_pack(c, &len);
	for (i = 0; i < len; i++) {
		w = NULL;
		assert_int_equal(confwire_unpack(buf, i, &w, err, sizeof(err)),
		    -1);
		assert_null(w);
		assert_non_null(strstr(err, "malformed"));
	}
	big = malloc(len + 1);
	assert_non_null(big);
	memcpy(big, buf, len);
	big[len] = 0;
	assert_int_equal(confwire_unpack(big, len + 1, &w, err, sizeof(err)),
	    -1);
	free(big);
	free(buf);
	config_free(c);
}

/* A byte changed anywhere: refused, or a config within the limits. */
static void
test_every_byte_flipped(void **state)
{
	struct config	*c = load(), *w;
	unsigned char	*buf;
	size_t		 len, i, j;
	char		 err[256];

	(void)state;
	buf = confwire_pack(c, &len);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0xff;
		w = NULL;
		if (confwire_unpack(buf, len, &w, err, sizeof(err)) == 0) {
			assert_true(w->c_workers >= 1);
			assert_true(w->c_nallow <= 2);
			for (j = 0; j < w->c_nusers; j++)
				assert_true(strlen(w->c_users[j].u_name) > 0);
			config_free(w);
		}
		buf[i] ^= 0xff;
	}
	free(buf);
	config_free(c);
}

/* Out-of-range numbers, bad names, huge counts. */
static void
test_bad_values(void **state)
{
	struct config	*c = load(), *w;
	unsigned char	*buf;
	size_t		 len;
	uint32_t	 v;
	char		 err[256];

	(void)state;
	buf = confwire_pack(c, &len);
	/* workers (the second word) 0 */
	v = 0;
	memcpy(buf + 4, &v, 4);
	assert_int_equal(confwire_unpack(buf, len, &w, err, sizeof(err)), -1);
	v = 5;
	memcpy(buf + 4, &v, 4);
	/* the allow count (word 10) far too big */
	v = 0xffffffffU;
	memcpy(buf + 36, &v, 4);
	assert_int_equal(confwire_unpack(buf, len, &w, err, sizeof(err)), -1);
	v = 2;
	memcpy(buf + 36, &v, 4);
	assert_int_equal(confwire_unpack(buf, len, &w, err, sizeof(err)), 0);
	config_free(w);
	/* a user name with a slash */
	{
		unsigned char *p = memmem(buf, len, "alice", 5);

		assert_non_null(p);
		p[1] = '/';
		assert_int_equal(confwire_unpack(buf, len, &w, err,
		    sizeof(err)), -1);
	}
	free(buf);
	config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_secret_packed),
		cmocka_unit_test(test_truncated_and_trailing),
		cmocka_unit_test(test_every_byte_flipped),
		cmocka_unit_test(test_bad_values),
	};

	return cmocka_run_group_tests_name("confwire", tests, NULL, NULL);
}
