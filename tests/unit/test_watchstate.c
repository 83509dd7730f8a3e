/*
 * test_watchstate.c: what `watch` reports (watchstate.c): each instance of
 * the map with the toolstack's running domains, and the lines between one
 * poll and the next (issue 21, DESIGN.md 3.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "watchstate.h"

#define AT	"2026-12-05T23:10:46Z"

static const char list1[] =
    "Name                                        ID   Mem VCPUs\tState\t"
    "Time(s)\n"
    "Domain-0                                     0  1024     2     r-----"
    "     100.0\n"
    "web1                                         3   512     1     -b----"
    "       1.5\n"
    "stray                                        4   128     1     r-----"
    "       0.1\n";
static const char list2[] =
    "Name                                        ID   Mem VCPUs\tState\t"
    "Time(s)\n"
    "Domain-0                                     0  1024     2     r-----"
    "     100.0\n"
    "web1                                         3   512     1     --p---"
    "       1.5\n"
    "db1                                          5  2048     4     r-----"
    "       0.2\n";

static struct instance	inst[3];
static struct instances	map = { inst, 3 };

static void
set(struct instance *in, const char *name, long mem, long vcpus)
{
	memset(in, 0, sizeof(*in));
	(void)snprintf(in->i_name, sizeof(in->i_name), "%s", name);
	in->i_path = (char *)(uintptr_t)"/etc/xen/x.cfg";
	in->i_memory = mem;
	in->i_vcpus = vcpus;
}

static struct wseen *
look(const char *text, const struct instances *m, size_t *n)
{
	struct domlist	 dl;
	struct wseen	*v;

	assert_int_equal(domlist_parse(text, strlen(text), &dl), 0);
	v = wstate_look(&dl, m, n);
	domlist_free(&dl);
	return (v);
}

static char	got[4096];

static void
collect(const char *name, const char *line, size_t len, void *arg)
{
	(void)arg;
	assert_non_null(strstr(line, name));
	assert_true(strlen(got) + len < sizeof(got));
	strncat(got, line, len);
}

static void
t_look(void **state)
{
	struct wseen	*v;
	char		 line[WATCH_LINE_MAX];
	size_t		 n;

	(void)state;
	set(&inst[0], "bare", -1, -1);
	set(&inst[1], "db1", 1024, 2);
	set(&inst[2], "web1", 512, 1);
	v = look(list1, &map, &n);
	assert_int_equal(n, 3);
	/* Not running: the file's values, "-" where it has none. */
	n = wstate_format(line, AT, &v[0], 0);
	assert_int_equal(n, strlen(line));
	assert_string_equal(line, AT " bare state=stopped id=- mem=- "
	    "vcpus=-\n");
	(void)wstate_format(line, AT, &v[1], 0);
	assert_string_equal(line, AT " db1 state=stopped id=- mem=1024 "
	    "vcpus=2\n");
	(void)wstate_format(line, AT, &v[2], 0);
	assert_string_equal(line, AT " web1 state=blocked id=3 mem=512 "
	    "vcpus=1\n");
	(void)wstate_format(line, AT, &v[2], 1);
	assert_string_equal(line, AT " web1 state=gone id=- mem=- vcpus=-\n");
	free(v);
	/* No map: no instance (a domain without a .cfg is none). */
	v = look(list1, NULL, &n);
	assert_int_equal(n, 0);
	free(v);
}

static void
t_diff(void **state)
{
	struct wseen	*a, *b;
	size_t		 na, nb;

	(void)state;
	set(&inst[0], "bare", -1, -1);
	set(&inst[1], "db1", 1024, 2);
	set(&inst[2], "web1", 512, 1);
	a = look(list1, &map, &na);
	/* Nothing changed: nothing. */
	got[0] = '\0';
	b = look(list1, &map, &nb);
	wstate_diff(a, na, b, nb, AT, collect, NULL);
	assert_string_equal(got, "");
	free(b);
	/* bare's .cfg left, extra1's came, db1 started, web1 paused. */
	set(&inst[0], "db1", 1024, 2);
	set(&inst[1], "extra1", 64, -1);
	set(&inst[2], "web1", 512, 1);
	b = look(list2, &map, &nb);
	wstate_diff(a, na, b, nb, AT, collect, NULL);
	assert_string_equal(got,
	    AT " bare state=gone id=- mem=- vcpus=-\n"
	    AT " db1 state=running id=5 mem=2048 vcpus=4\n"
	    AT " extra1 state=stopped id=- mem=64 vcpus=-\n"
	    AT " web1 state=paused id=3 mem=512 vcpus=1\n");
	free(a);
	free(b);
}

static void
t_stamp(void **state)
{
	char	at[WATCH_STAMP_LEN];

	(void)state;
	wstate_stamp(at);
	assert_int_equal(strlen(at), WATCH_STAMP_LEN - 1);
	assert_true(at[4] == '-' && at[10] == 'T' && at[19] == 'Z');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_look),
		cmocka_unit_test(t_diff),
		cmocka_unit_test(t_stamp),
	};

	return (cmocka_run_group_tests_name("watchstate", tests, NULL, NULL));
}
