/*
 * test_hostkey.c: who counts as one host (acl_host_key, acl_host_mask) for
 * max_per_host and the auth brake, per_host_prefix6 at load, and the cost
 * classes of password hashes (hashcost.c) that a failed auth checks one
 * of each.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"
#include "config_load.h"
#include "hashcost.h"

#define HASH	"$y$j9T$LJifUz5D1x5186NZrcnta1$10yanbDQhT4MxUisLSU0i2.4rY.ef4H59.4z3OEVpk2"

static socklen_t
mkaddr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(40000);
		return sizeof(*sin);
	}
	assert_int_equal(inet_pton(AF_INET6, s, &sin6->sin6_addr), 1);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(40001);
	return sizeof(*sin6);
}

/* The key of s under prefix6, as "family key-as-text". */
static const char *
key(const char *s, unsigned int prefix6)
{
	static char		 out[INET6_ADDRSTRLEN + 8];
	struct sockaddr_storage	 ss;
	unsigned char		 k[16];
	socklen_t		 len = mkaddr(s, &ss);
	int			 fam = -1;

	assert_int_equal(acl_host_key((struct sockaddr *)&ss, len, prefix6,
	    &fam, k), 0);
	assert_non_null(inet_ntop(fam, k, out + 2, sizeof(out) - 2));
	out[0] = fam == AF_INET ? '4' : '6';
	out[1] = ' ';
	if (fam == AF_INET) {
		size_t i;

		for (i = 4; i < 16; i++)
			assert_int_equal(k[i], 0);
	}
	return (out);
}

static int
same(const char *a, const char *b, unsigned int prefix6)
{
	char	ka[sizeof("6 ") + INET6_ADDRSTRLEN];

	(void)snprintf(ka, sizeof(ka), "%s", key(a, prefix6));
	return (strcmp(ka, key(b, prefix6)) == 0);
}

static void
test_v6_by_prefix(void **state)
{
	(void)state;
	assert_string_equal(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd", 64),
	    "6 2001:db8:1:2::");
	/* a whole /64 is one host, the next /64 another */
	assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff",
	    64));
	assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1", 64));
	/* 128: every address its own host, as before */
	assert_false(same("2001:db8::1", "2001:db8::2", 128));
	assert_string_equal(key("::1", 128), "6 ::1");
	/* ::1 is its /64's only routable member, still a key of its own */
	assert_string_equal(key("::1", 64), "6 ::");
	/* odd prefixes cut inside a byte */
	assert_true(same("2001:db8:ff00::", "2001:db8:ff7f::1", 41));
	assert_false(same("2001:db8:ff00::", "2001:db8:ff80::", 41));
	assert_string_equal(key("ffff:ffff::", 1), "6 8000::");
	assert_string_equal(key("2001:db8::1", 48), "6 2001:db8::");
}

static void
test_v4_by_address(void **state)
{
	(void)state;
	/* IPv4 counts per address whatever prefix6 says */
	assert_string_equal(key("127.0.0.2", 64), "4 127.0.0.2");
	assert_false(same("127.0.0.2", "127.0.0.3", 1));
	assert_false(same("192.0.2.1", "192.0.2.2", 64));
	/* a v4-mapped peer is the IPv4 host, not the ::ffff:0:0/64 one */
	assert_string_equal(key("::ffff:192.0.2.7", 64), "4 192.0.2.7");
	assert_true(same("::ffff:192.0.2.7", "192.0.2.7", 64));
	assert_false(same("::ffff:192.0.2.7", "::ffff:192.0.2.8", 64));
}

static void
test_mask_and_bad(void **state)
{
	struct sockaddr_storage	 ss;
	unsigned char		 a[16], k[16], want[16];
	socklen_t		 len;
	int			 fam;

	(void)state;
	/* the board keeps whole addresses; admission masks both sides */
	len = mkaddr("2001:db8:0:7:1:2:3:4", &ss);
	assert_int_equal(acl_host_key((struct sockaddr *)&ss, len, 128, &fam,
	    a), 0);
	assert_int_equal(fam, AF_INET6);
	acl_host_mask(fam, a, 64, k);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:0:7::", want), 1);
	assert_memory_equal(k, want, 16);
	acl_host_mask(fam, a, 64, a);		/* in place */
	assert_memory_equal(a, want, 16);
	/* a prefix out of range never merges everybody */
	len = mkaddr("2001:db8::5", &ss);
	assert_int_equal(acl_host_key((struct sockaddr *)&ss, len, 0, &fam,
	    k), 0);
	assert_int_equal(k[15], 5);
	/* short or foreign addresses have no key */
	assert_int_equal(acl_host_key((struct sockaddr *)&ss, len - 1, 64,
	    &fam, k), -1);
	ss.ss_family = AF_UNIX;
	assert_int_equal(acl_host_key((struct sockaddr *)&ss, sizeof(ss), 64,
	    &fam, k), -1);
	assert_int_equal(acl_host_key(NULL, 0, 64, &fam, k), -1);
}

static void
test_prefix6_key(void **state)
{
	struct config	*c = NULL;
	char		 err[256] = "";

	(void)state;
	assert_int_equal(config_load_string("t.conf", "[server]\n", &c, err,
	    sizeof(err)), 0);
	assert_int_equal(c->c_per_host_prefix6, 64);
	assert_int_equal(c->c_auth_throttle_after, 5);
	assert_int_equal(c->c_auth_throttle_window, 900);
	config_free(c);
	assert_int_equal(config_load_string("t.conf", "[server]\n"
	    "per_host_prefix6 = 128\nauth_throttle_after = 0\n"
	    "auth_throttle_window = 60\n", &c, err, sizeof(err)), 0);
	assert_int_equal(c->c_per_host_prefix6, 128);
	assert_int_equal(c->c_auth_throttle_after, 0);
	assert_int_equal(c->c_auth_throttle_window, 60);
	config_free(c);
	c = NULL;
	assert_int_equal(config_load_string("t.conf", "[server]\nport = 1\n"
	    "per_host_prefix6 = 0\n", &c, err, sizeof(err)), -1);
	assert_null(c);
	assert_string_equal(err, "t.conf:3: per_host_prefix6: '0' is not a "
	    "number from 1 to 128");
	assert_int_equal(config_load_string("t.conf", "[server]\n"
	    "per_host_prefix6 = 129\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: per_host_prefix6:"));
	assert_int_equal(config_load_string("t.conf", "[server]\n"
	    "per_host_prefix6 = /64\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: per_host_prefix6:"));
	assert_int_equal(config_load_string("t.conf", "[server]\n"
	    "auth_throttle_window = 0\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: auth_throttle_window:"));
	assert_int_equal(config_load_string("t.conf", "[server]\n"
	    "auth_throttle_after = -1\n", &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2: auth_throttle_after:"));
}

static const char *
hkey(const char *h)
{
	static char	k[128];

	(void)hashcost_key(h, k, sizeof(k));
	return (k);
}

static void
test_hash_cost_keys(void **state)
{
	(void)state;
	assert_string_equal(hkey(HASH), "$y$j9T$");
	assert_string_equal(hkey("$gy$jCT$salt$hash"), "$gy$jCT$");
	assert_string_equal(hkey("$6$rounds=6000000$salt$hash"),
	    "$6$rounds=6000000$");
	assert_string_equal(hkey("$6$saltsalt$hash"), "$6$");
	assert_string_equal(hkey("$5$rounds=9000$s$h"), "$5$rounds=9000$");
	assert_string_equal(hkey("$2b$12$abcdefghijklmnopqrstuuhashhashhash"),
	    "$2b$12$");
	assert_string_equal(hkey("$7$CU..../....salt$hash"), "$7$CU..../....");
	assert_string_equal(hkey("$1$salt$hash"), "$1$");
	assert_string_equal(hkey("$md5,rounds=904$salt$$hash"),
	    "$md5,rounds=904$");
	assert_string_equal(hkey("$sha1$40000$salt$hash"), "$sha1$40000$");
	/* unknown: the whole hash, so never merged with another */
	assert_string_equal(hkey("$zz$a$b$c"), "$zz$a$b$c");
	assert_true(hashcost_same("$6$rounds=5000$a$x", "$6$rounds=5000$b$y"));
	assert_false(hashcost_same("$6$rounds=5000$a$x", "$6$rounds=6000$a$x"));
	assert_false(hashcost_same("$6$a$x", "$5$a$x"));
	assert_false(hashcost_same("$y$j9T$a$x", "$y$jAT$a$x"));
}

static void
test_hash_cost_limit(void **state)
{
	struct config	*c = NULL;
	char		 text[4096], err[256] = "";
	size_t		 off = 0, rep[HASHCOST_MAX + 1];
	int		 i;

	(void)state;
	/* eight costs load; users of one cost add nothing */
	for (i = 0; i < HASHCOST_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "[user u%d]\npassword = $6$rounds=%d$salt$hash\n"
		    "[user v%d]\npassword = $6$rounds=%d$tlas$hsah\n", i,
		    1000 + i, i, 1000 + i);
	assert_int_equal(config_load_string("t.conf", text, &c, err,
	    sizeof(err)), 0);
	assert_int_equal(hashcost_reps(c->c_users, c->c_nusers, rep,
	    HASHCOST_MAX), HASHCOST_MAX);
	assert_string_equal(c->c_users[rep[1]].u_name, "u1");
	config_free(c);
	c = NULL;
	/* a ninth is refused at its [user] line */
	(void)snprintf(text + off, sizeof(text) - off,
	    "[user nine]\npassword = " HASH "\n");
	assert_int_equal(config_load_string("t.conf", text, &c, err,
	    sizeof(err)), -1);
	assert_null(c);
	assert_non_null(strstr(err, "t.conf:33: user nine: more than 8 "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v6_by_prefix),
		cmocka_unit_test(test_v4_by_address),
		cmocka_unit_test(test_mask_and_bad),
		cmocka_unit_test(test_prefix6_key),
		cmocka_unit_test(test_hash_cost_keys),
		cmocka_unit_test(test_hash_cost_limit),
	};

	return cmocka_run_group_tests_name("hostkey", tests, NULL, NULL);
}
