/*
 * test_acl.c: the [allow] list: parsing of `client =` values and matching
 * of peer addresses (DESIGN.md 4, STYLE.md 2.7 and 2.15).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"

/* A socket address for a numeric string, as accept() would fill it in. */
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
	sin6->sin6_port = htons(40000);
	return sizeof(*sin6);
}

/* Does peer match the list made of the given entries? */
static int
match(const char *peer, const char *const *entries, size_t n)
{
	struct acl_entry	 v[16];
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 err[256];
	size_t			 i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		if (acl_parse_entry(entries[i], &v[i], err, sizeof(err)) != 0)
			fail_msg("entry %s: %s", entries[i], err);
	}
	len = mkaddr(peer, &ss);
	return acl_match(v, n, (struct sockaddr *)&ss, len);
}

static int
match1(const char *peer, const char *entry)
{
	return match(peer, &entry, 1);
}

/* Parse must fail, with a non-empty reason. */
static void
bad(const char *s)
{
	struct acl_entry	e;
	char			err[256];

	err[0] = '\0';
	if (acl_parse_entry(s, &e, err, sizeof(err)) != -1)
		fail_msg("\"%s\" was accepted", s);
	if (err[0] == '\0')
		fail_msg("\"%s\": no reason given", s);
}

static void
good(const char *s, int family, unsigned int prefix)
{
	struct acl_entry	e;
	char			err[256];

	if (acl_parse_entry(s, &e, err, sizeof(err)) != 0)
		fail_msg("\"%s\" was refused: %s", s, err);
	assert_int_equal(e.family, family);
	assert_int_equal(e.prefix, prefix);
}

static void
test_parse_good(void **state)
{
	(void)state;
	good("127.0.0.1", AF_INET, 32);
	good("192.168.1.0/24", AF_INET, 24);
	good("0.0.0.0/0", AF_INET, 0);
	good("10.0.0.1/32", AF_INET, 32);
	good("10.0.0.0/8", AF_INET, 8);
	good("10.128.0.0/9", AF_INET, 9);
	good("::1", AF_INET6, 128);
	good("::/0", AF_INET6, 0);
	good("2001:db8::/32", AF_INET6, 32);
	good("2001:db8::1/128", AF_INET6, 128);
	good("fe80::/10", AF_INET6, 10);
	good("2001:DB8::/32", AF_INET6, 32);
	/* An IPv4-mapped entry is stored as the IPv4 prefix it denotes. */
	good("::ffff:10.1.2.3", AF_INET, 32);
	good("::ffff:10.0.0.0/104", AF_INET, 8);
	good("::ffff:0.0.0.0/96", AF_INET, 0);
	/* A shorter prefix covers more than the mapped range: stays v6. */
	good("::/80", AF_INET6, 80);
}

static void
test_parse_values(void **state)
{
	struct acl_entry	e;
	char			err[64];
	static const unsigned char v6[16] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
	};

	(void)state;
	assert_int_equal(acl_parse_entry("192.168.1.0/24", &e, err,
	    sizeof(err)), 0);
	assert_memory_equal(e.addr, "\xc0\xa8\x01\x00", 4);
	assert_int_equal(acl_parse_entry("2001:db8::1", &e, err,
	    sizeof(err)), 0);
	assert_memory_equal(e.addr, v6, 16);
	assert_int_equal(acl_parse_entry("::ffff:10.1.2.3", &e, err,
	    sizeof(err)), 0);
	assert_memory_equal(e.addr, "\x0a\x01\x02\x03", 4);
}

static void
test_parse_bad(void **state)
{
	(void)state;
	bad("");
	bad("256.1.1.1");
	bad("1.2.3");
	bad("1.2.3.4.5");
	bad("1.2.3.-4");
	bad("010.0.0.1");		/* inet_pton refuses leading zeros */
	bad("10.0.0.0/33");
	bad("10.0.0.0/-1");
	bad("10.0.0.0/+8");
	bad("10.0.0.0/1000");
	bad("10.0.0.0/0008");
	bad("::1/129");
	bad("::/200");
	bad("1.2.3.4/");
	bad("/24");
	bad("/");
	bad("1.2.3.4x");
	bad("1.2.3.4 ");
	bad(" 1.2.3.4");
	bad("1.2.3.4/24x");
	bad("1.2.3.4/ 24");
	bad("1.2.3.4/24/24");
	bad("::1x");
	bad("::1/128 ");
	bad("fe80::1%eth0");
	bad("localhost");
	bad("example.org");
	bad("1.2.3.4, 5.6.7.8");
	bad("0x7f000001");
	bad("2001:db8::1::2");
	bad("12345::");
	/* Far longer than any address. */
	bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc/64");
	/* Host bits beyond the prefix. */
	bad("192.168.1.1/24");
	bad("10.0.0.1/8");
	bad("0.0.0.1/0");
	bad("10.128.0.0/8");
	bad("::1/64");
	bad("2001:db8::1/32");
	bad("::ffff:10.1.2.3/104");
}

static void
test_host_bits_reason(void **state)
{
	struct acl_entry	e;
	char			err[256];

	(void)state;
	assert_int_equal(acl_parse_entry("192.168.1.7/24", &e, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "192.168.1.0/24"));
	/* A tiny buffer is truncated, not overrun. */
	assert_int_equal(acl_parse_entry("192.168.1.7/24", &e, err, 4), -1);
	assert_int_equal(strlen(err), 3);
	/* No buffer at all is fine too. */
	assert_int_equal(acl_parse_entry("192.168.1.7/24", &e, NULL, 0), -1);
}

static void
test_match_v4(void **state)
{
	(void)state;
	assert_true(match1("127.0.0.1", "127.0.0.1"));
	assert_false(match1("127.0.0.2", "127.0.0.1"));
	assert_false(match1("10.0.0.1", "127.0.0.1"));
	/* First and last address of a range, and just outside. */
	assert_true(match1("192.168.1.0", "192.168.1.0/24"));
	assert_true(match1("192.168.1.255", "192.168.1.0/24"));
	assert_false(match1("192.168.0.255", "192.168.1.0/24"));
	assert_false(match1("192.168.2.0", "192.168.1.0/24"));
	/* A prefix that does not end on a byte. */
	assert_true(match1("10.128.0.0", "10.128.0.0/9"));
	assert_true(match1("10.255.255.255", "10.128.0.0/9"));
	assert_false(match1("10.127.255.255", "10.128.0.0/9"));
	assert_false(match1("11.0.0.0", "10.128.0.0/9"));
	assert_true(match1("172.16.0.0", "172.16.0.0/12"));
	assert_true(match1("172.31.255.255", "172.16.0.0/12"));
	assert_false(match1("172.32.0.0", "172.16.0.0/12"));
	/* /0 matches every IPv4 address, /32 exactly one. */
	assert_true(match1("0.0.0.0", "0.0.0.0/0"));
	assert_true(match1("255.255.255.255", "0.0.0.0/0"));
	assert_true(match1("1.2.3.4", "1.2.3.4/32"));
	assert_false(match1("1.2.3.5", "1.2.3.4/32"));
	assert_true(match1("1.2.3.5", "1.2.3.4/31"));
	assert_false(match1("1.2.3.6", "1.2.3.4/31"));
	/* An IPv4 entry never admits a real IPv6 peer. */
	assert_false(match1("::1", "0.0.0.0/0"));
	assert_false(match1("2001:db8::1", "0.0.0.0/0"));
}

static void
test_match_v6(void **state)
{
	(void)state;
	assert_true(match1("::1", "::1"));
	assert_false(match1("::2", "::1"));
	assert_true(match1("2001:db8::", "2001:db8::/32"));
	assert_true(match1("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8::/32"));
	assert_false(match1("2001:db9::", "2001:db8::/32"));
	assert_false(match1("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
	    "2001:db8::/32"));
	assert_true(match1("fe80::1", "fe80::/10"));
	assert_true(match1("febf:ffff::1", "fe80::/10"));
	assert_false(match1("fec0::1", "fe80::/10"));
	assert_true(match1("2001:db8::1", "2001:db8::1/128"));
	assert_false(match1("2001:db8::2", "2001:db8::1/128"));
	assert_true(match1("2001:db8::2", "2001:db8::2/127"));
	assert_true(match1("2001:db8::3", "2001:db8::2/127"));
	assert_false(match1("2001:db8::4", "2001:db8::2/127"));
	assert_true(match1("::", "::/0"));
	assert_true(match1("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0"));
	/* An IPv6 entry never admits a real IPv4 peer. */
	assert_false(match1("127.0.0.1", "::/0"));
}

static void
test_match_mapped(void **state)
{
	static const char *const list[] = { "192.168.1.0/24", "::1" };

	(void)state;
	/* A mapped peer is an IPv4 peer for IPv4 entries. */
	assert_true(match1("::ffff:192.168.1.10", "192.168.1.0/24"));
	assert_false(match1("::ffff:192.168.2.10", "192.168.1.0/24"));
	assert_true(match1("::ffff:10.0.0.1", "0.0.0.0/0"));
	assert_true(match("::ffff:192.168.1.1", list, 2));
	assert_false(match("::ffff:127.0.0.1", list, 2));
	/* A mapped entry admits IPv4 and mapped peers alike. */
	assert_true(match1("10.1.2.3", "::ffff:10.1.2.3"));
	assert_true(match1("::ffff:10.1.2.3", "::ffff:10.1.2.3"));
	assert_false(match1("10.1.2.4", "::ffff:10.1.2.3"));
	assert_true(match1("10.9.9.9", "::ffff:10.0.0.0/104"));
	/* ::/0 covers the mapped range as IPv6 addresses, too. */
	assert_true(match1("::ffff:10.1.2.3", "::/0"));
	assert_true(match1("::ffff:10.1.2.3", "::ffff:0:0/96"));
	/* Not mapped: IPv4-compatible (::a.b.c.d) and NAT64 addresses. */
	assert_false(match1("::10.1.2.3", "10.1.2.3"));
	assert_false(match1("64:ff9b::10.1.2.3", "10.1.2.3"));
}

static void
test_empty_list_loopback(void **state)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	size_t			i;
	static const char *const yes[] = {
		"127.0.0.1", "127.0.0.2", "127.255.255.255", "127.0.0.0",
		"::1", "::ffff:127.0.0.1", "::ffff:127.1.2.3",
	};
	static const char *const no[] = {
		"128.0.0.1", "126.255.255.255", "10.0.0.1", "0.0.0.0",
		"::", "::2", "::ffff:10.0.0.1", "fe80::1", "::127.0.0.1",
	};

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		len = mkaddr(yes[i], &ss);
		if (!acl_match(NULL, 0, (struct sockaddr *)&ss, len))
			fail_msg("%s should be admitted", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		len = mkaddr(no[i], &ss);
		if (acl_match(NULL, 0, (struct sockaddr *)&ss, len))
			fail_msg("%s should be refused", no[i]);
	}
	/* With an entry, loopback is no longer implied. */
	assert_false(match1("127.0.0.1", "10.0.0.0/8"));
	assert_false(match1("::1", "10.0.0.0/8"));
}

static void
test_match_list(void **state)
{
	static const char *const list[] = {
		"127.0.0.1", "::1", "192.168.1.0/24", "2001:db8:1::/48",
	};

	(void)state;
	assert_true(match("127.0.0.1", list, 4));
	assert_false(match("127.0.0.2", list, 4));
	assert_true(match("::1", list, 4));
	assert_true(match("192.168.1.200", list, 4));
	assert_true(match("2001:db8:1:ffff::1", list, 4));
	assert_false(match("2001:db8:2::1", list, 4));
	assert_false(match("8.8.8.8", list, 4));
}

static void
test_match_bad_sockaddr(void **state)
{
	struct acl_entry	 e;
	struct sockaddr_storage	 ss;
	struct sockaddr_un_like {
		sa_family_t	family;
		char		path[20];
	}			 un;
	socklen_t		 len;
	char			 err[64];

	(void)state;
	assert_int_equal(acl_parse_entry("0.0.0.0/0", &e, err, sizeof(err)),
	    0);
	len = mkaddr("10.0.0.1", &ss);
	assert_true(acl_match(&e, 1, (struct sockaddr *)&ss, len));
	/* A truncated address is never admitted. */
	assert_false(acl_match(&e, 1, (struct sockaddr *)&ss, len - 1));
	assert_false(acl_match(&e, 1, (struct sockaddr *)&ss, 0));
	assert_false(acl_match(&e, 1, NULL, 0));
	assert_int_equal(acl_parse_entry("::/0", &e, err, sizeof(err)), 0);
	len = mkaddr("::1", &ss);
	assert_false(acl_match(&e, 1, (struct sockaddr *)&ss, len - 1));
	/* Neither is another family. */
	memset(&un, 0, sizeof(un));
	un.family = AF_UNIX;
	assert_false(acl_match(&e, 1, (struct sockaddr *)&un, sizeof(un)));
	assert_false(acl_match(NULL, 0, (struct sockaddr *)&un, sizeof(un)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_host_bits_reason),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_match_mapped),
		cmocka_unit_test(test_empty_list_loopback),
		cmocka_unit_test(test_match_list),
		cmocka_unit_test(test_match_bad_sockaddr),
	};

	return cmocka_run_group_tests_name("acl", tests, NULL, NULL);
}
