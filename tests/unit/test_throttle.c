/*
 * test_throttle.c: the broker's brake on password guessing
 * (broker_throttle.c), on a clock of the test's own: per account and per
 * source, the doubling wait, the queue of parallel attempts, the clean
 * source's correct password, the window, the fixed-size table.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "broker_throttle.h"

#define AFTER	5
#define WINDOW	900
#define T0	1000000000LL

static struct bthr_src
src(int n)
{
	struct bthr_src	s;

	memset(&s, 0, sizeof(s));
	s.s_fam = AF_INET;
	s.s_key[0] = 192;
	s.s_key[1] = 0;
	s.s_key[2] = (unsigned char)(n >> 8);
	s.s_key[3] = (unsigned char)n;
	return (s);
}

static struct bthr_verdict
begin(const char *user, int n, long long now)
{
	struct bthr_verdict	v;
	struct bthr_src		s = src(n);

	bthr_begin(user, &s, AFTER, WINDOW, now, &v);
	return (v);
}

static void
failed(const char *user, int n, long long now)
{
	struct bthr_src	s = src(n);

	bthr_failed(user, &s, "192.0.2.1", AFTER, WINDOW, now);
}

static int
setup(void **state)
{
	(void)state;
	bthr_reset();
	return (0);
}

static void
test_quiet_below_limit(void **state)
{
	struct bthr_verdict	v;
	int			i;

	(void)state;
	for (i = 0; i < AFTER - 1; i++) {
		v = begin("admin", 1, T0 + i);
		assert_int_equal(v.v_hold_ms, 0);
		assert_true(v.v_check);
		failed("admin", 1, T0 + i);
	}
	v = begin("admin", 1, T0 + 10);
	assert_int_equal(v.v_hold_ms, 0);
	assert_false(v.v_clean);	/* it failed: no longer clean */
	v = begin("admin", 2, T0 + 10);
	assert_true(v.v_clean);
}

static void
test_account_doubles(void **state)
{
	struct bthr_verdict	v;
	long long		now = T0;
	long long		want[] = { 1000, 2000, 4000, 8000, 8000,
				    8000 };
	size_t			i;

	(void)state;
	for (i = 0; i < AFTER; i++)
		failed("admin", (int)i + 1, now);	/* five sources, one each */
	/* one attempt at a time, from a source that failed: each waits
	 * twice the last, up to the cap */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = begin("admin", 1, now);
		assert_true(v.v_check);
		assert_false(v.v_clean);
		assert_int_equal(v.v_hold_ms, want[i]);
		now += v.v_hold_ms + 1000;
		failed("admin", 1, now);
	}
	/* another account from a fresh source: untouched */
	v = begin("other", 100, now);
	assert_int_equal(v.v_hold_ms, 0);
	assert_true(v.v_clean);
	/* the throttled account from a source that never failed: its
	 * failure would wait, its correct password is answered at once */
	v = begin("admin", 100, now);
	assert_true(v.v_clean && v.v_check);
	assert_int_equal(v.v_hold_ms, BTHR_STEP_MAX_MS);
}

static void
test_parallel_attempts_queue(void **state)
{
	struct bthr_verdict	v;
	int			i, refused = 0;
	long long		last = 0;

	(void)state;
	for (i = 0; i < AFTER; i++)
		failed("admin", 7, T0);
	/* 64 attempts at once: spaced one step apart, not all in 1 s */
	for (i = 0; i < 64; i++) {
		v = begin("admin", 7, T0);
		if (!v.v_check) {
			refused++;
			assert_int_equal(v.v_hold_ms, 0);
			continue;
		}
		assert_true(v.v_hold_ms > last);
		assert_true(v.v_hold_ms <= BTHR_QUEUE_MAX_MS);
		last = v.v_hold_ms;
	}
	assert_int_equal(last, BTHR_QUEUE_MAX_MS);
	assert_int_equal(refused, 64 - BTHR_QUEUE_MAX_MS / 1000);
}

static void
test_source_throttled_across_accounts(void **state)
{
	struct bthr_verdict	v;
	char			name[16];
	int			i;

	(void)state;
	/* spraying: one failure each on many names from one source */
	for (i = 0; i < AFTER; i++) {
		(void)snprintf(name, sizeof(name), "user%d", i);
		failed(name, 9, T0);
	}
	v = begin("admin", 9, T0 + 1);
	assert_int_equal(v.v_hold_ms, 1000);
	assert_false(v.v_clean);
	/* admin itself has no failures: from elsewhere, no wait */
	v = begin("admin", 10, T0 + 1);
	assert_int_equal(v.v_hold_ms, 0);
	assert_true(v.v_clean);
}

static void
test_window_forgets(void **state)
{
	struct bthr_verdict	v;
	int			i;

	(void)state;
	for (i = 0; i < AFTER; i++)
		failed("admin", 3, T0 + i * 60000LL);
	v = begin("admin", 3, T0 + 5 * 60000LL);
	assert_true(v.v_hold_ms >= 1000);
	/* a window of quiet after the last failure: clean again */
	v = begin("admin", 3, T0 + 4 * 60000LL + WINDOW * 1000LL);
	assert_int_equal(v.v_hold_ms, 0);
	assert_true(v.v_clean);
}

static void
test_off(void **state)
{
	struct bthr_verdict	v;
	struct bthr_src		s = src(1);
	int			i;

	(void)state;
	for (i = 0; i < 50; i++)
		bthr_failed("admin", &s, "192.0.2.1", 0, WINDOW, T0);
	bthr_begin("admin", &s, 0, WINDOW, T0, &v);
	assert_int_equal(v.v_hold_ms, 0);
	assert_true(v.v_clean && v.v_check);
}

static void
test_table_bounded(void **state)
{
	struct bthr_verdict	v;
	char			name[32];
	int			i;

	(void)state;
	for (i = 0; i < AFTER; i++)
		failed("admin", 1, T0);
	/* twice the table's size in other names and sources, each newer */
	for (i = 0; i < 2 * BTHR_SIZE; i++) {
		(void)snprintf(name, sizeof(name), "n%d", i);
		failed(name, 1000 + i, T0 + 1 + i);
	}
	/* admin's entry, the oldest, gave way: a fixed table, no growth */
	v = begin("admin", 50000, T0 + 3 * BTHR_SIZE);
	assert_int_equal(v.v_hold_ms, 0);
	/* the newest are still there */
	(void)snprintf(name, sizeof(name), "n%d", 2 * BTHR_SIZE - 1);
	for (i = 1; i < AFTER; i++)
		failed(name, 1, T0 + 3 * BTHR_SIZE);
	v = begin(name, 60000, T0 + 3 * BTHR_SIZE);
	assert_int_equal(v.v_hold_ms, 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_quiet_below_limit, setup),
		cmocka_unit_test_setup(test_account_doubles, setup),
		cmocka_unit_test_setup(test_parallel_attempts_queue, setup),
		cmocka_unit_test_setup(test_source_throttled_across_accounts,
		    setup),
		cmocka_unit_test_setup(test_window_forgets, setup),
		cmocka_unit_test_setup(test_off, setup),
		cmocka_unit_test_setup(test_table_bounded, setup),
	};

	return cmocka_run_group_tests_name("throttle", tests, NULL, NULL);
}
