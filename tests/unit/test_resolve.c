/*
 * test_resolve.c: resolve_name() (src/resolve.c).
 *
 * No network is assumed: only /etc/hosts names, numeric addresses and a
 * name under the reserved .invalid TLD.  The resolver's own timeout is cut
 * to one second and one attempt (RES_OPTIONS), and a watchdog alarm bounds
 * the whole run, so an unreachable DNS server cannot hang the suite.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolve.h"

#define MAXADDR	16

static void
assert_no_duplicates(char (*a)[RESOLVE_ADDRLEN], int n)
{
	int	i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(a[i], a[j]) == 0)
				fail_msg("duplicate %s", a[i]);
}

static void
test_localhost(void **state)
{
	char	a[MAXADDR][RESOLVE_ADDRLEN];
	int	n, i;

	(void)state;
	n = resolve_name("localhost", a, MAXADDR);
	assert_true(n >= 1 && n <= 2);
	for (i = 0; i < n; i++)
		if (strcmp(a[i], "127.0.0.1") != 0 && strcmp(a[i], "::1") != 0)
			fail_msg("localhost gave %s", a[i]);
	assert_no_duplicates(a, n);
}

static void
test_numeric(void **state)
{
	char	a[MAXADDR][RESOLVE_ADDRLEN];

	(void)state;
	assert_int_equal(resolve_name("192.0.2.7", a, MAXADDR), 1);
	assert_string_equal(a[0], "192.0.2.7");
	assert_int_equal(resolve_name("2001:db8::1", a, MAXADDR), 1);
	assert_string_equal(a[0], "2001:db8::1");
	/* Printed in canonical form. */
	assert_int_equal(resolve_name("2001:0db8:0:0:0:0:0:0001", a, MAXADDR),
	    1);
	assert_string_equal(a[0], "2001:db8::1");
	/* The longest IPv6 text fits the buffer. */
	assert_int_equal(resolve_name("ffff:ffff:ffff:ffff:ffff:ffff:"
	    "255.255.255.255", a, MAXADDR), 1);
	assert_true(strlen(a[0]) < RESOLVE_ADDRLEN);
}

static void
test_unresolvable(void **state)
{
	char	a[MAXADDR][RESOLVE_ADDRLEN];

	(void)state;
	assert_int_equal(resolve_name("nonexistent.invalid", a, MAXADDR), 0);
	assert_int_equal(resolve_name("", a, MAXADDR), 0);
	assert_int_equal(resolve_name(NULL, a, MAXADDR), 0);
	assert_int_equal(resolve_name("bad name with spaces.invalid", a,
	    MAXADDR), 0);
}

static void
test_max(void **state)
{
	char	a[MAXADDR][RESOLVE_ADDRLEN];
	char	one[2][RESOLVE_ADDRLEN];

	(void)state;
	assert_int_equal(resolve_name("localhost", a, 0), 0);
	assert_int_equal(resolve_name("localhost", a, -1), 0);
	assert_int_equal(resolve_name("localhost", NULL, 4), 0);
	/* Never writes past max entries. */
	memset(one, '#', sizeof(one));
	assert_int_equal(resolve_name("localhost", one, 1), 1);
	assert_int_equal(one[1][0], '#');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_localhost),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_unresolvable),
		cmocka_unit_test(test_max),
	};

	/* Bound any DNS query the tests might cause. */
	setenv("RES_OPTIONS", "timeout:1 attempts:1", 1);
	alarm(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
