/*
 * test_domlist.c: parsing `xl list` and `xm list` (XEN-FACTS.md 1.1-1.3).
 * Goldens in tests/data/list/: NAME.txt is the tool's stdout, NAME.ref the
 * expected domains (name|id|mem|vcpus|state|cpu), both written by
 * make-goldens.py with the tools' own format strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domlist.h"

#define DATADIR		"tests/data/list/"

static char *
slurp(const char *path, size_t *lenp)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "rb")) == NULL)
		fail_msg("cannot open %s (run from the repository root)", path);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	assert_false(ferror(f));
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

/* The parse rendered like a .ref file; the caller frees it. */
static char *
render(const struct domlist *dl)
{
	char	*out;
	size_t	 i, n = 0, size = 1 << 20;

	out = malloc(size);
	assert_non_null(out);
	out[0] = '\0';
	for (i = 0; i < dl->d_n; i++) {
		const struct domain *d = &dl->d_v[i];

		n += (size_t)snprintf(out + n, size - n,
		    "%s|%ld|%ld|%ld|%s|%.1f\n", d->name, d->id, d->mem,
		    d->vcpus, d->state, d->cpu);
		assert_true(n < size);
	}
	return out;
}

static void
golden(const char *base)
{
	struct domlist	 dl;
	char		 path[256];
	char		*in, *ref, *got;
	size_t		 inlen, reflen;

	snprintf(path, sizeof(path), DATADIR "%s.txt", base);
	in = slurp(path, &inlen);
	snprintf(path, sizeof(path), DATADIR "%s.ref", base);
	ref = slurp(path, &reflen);
	if (domlist_parse(in, inlen, &dl) != 0)
		fail_msg("%s: not parsed", base);
	got = render(&dl);
	if (strcmp(got, ref) != 0)
		fail_msg("%s: got\n%s\nwant\n%s", base, got, ref);
	domlist_free(&dl);
	assert_null(dl.d_v);
	assert_int_equal(dl.d_n, 0);
	free(in);
	free(ref);
	free(got);
}

static void
test_goldens(void **state)
{
	(void)state;
	golden("xl-basic");
	golden("xl-states");
	golden("xl-names");
	golden("xl-dom0-only");
	golden("xm-basic");
	golden("xm-states");
	golden("xm-3.0");
}

/* Parse a literal; returns the rendering or NULL when refused. */
static char *
parse_lit(const char *s, size_t len)
{
	struct domlist	 dl;
	char		*got;

	memset(&dl, 0x5a, sizeof(dl));
	if (domlist_parse(s, len, &dl) != 0) {
		/* Refused: the result is empty. */
		assert_null(dl.d_v);
		assert_int_equal(dl.d_n, 0);
		domlist_free(&dl);
		return NULL;
	}
	got = render(&dl);
	domlist_free(&dl);
	return got;
}

static void
ok(const char *s, const char *want)
{
	char	*got;

	if ((got = parse_lit(s, strlen(s))) == NULL)
		fail_msg("refused:\n%s", s);
	if (strcmp(got, want) != 0)
		fail_msg("input:\n%s\ngot:\n%s\nwant:\n%s", s, got, want);
	free(got);
}

static void
refused(const char *s, size_t len)
{
	char	*got;

	if ((got = parse_lit(s, len)) != NULL) {
		fail_msg("accepted:\n%s\nas:\n%s", s, got);
		free(got);
	}
}

#define REFUSED(lit)	refused((lit), sizeof(lit) - 1)

/* The headers exactly as the tools print them. */
#define XLH	"Name                                        ID   Mem " \
		"VCPUs\tState\tTime(s)\n"
#define XMH	"Name                                        ID   Mem " \
		"VCPUs      State   Time(s)\n"

static void
test_variants(void **state)
{
	(void)state;
	/* Header only: a list with no domain. */
	ok(XLH, "");
	ok(XMH, "");
	/* Blank lines, CR LF, blanks at the ends, no final LF. */
	ok("\n\n" XLH "\n web1   3 256 1 -b---- 5.0 \r\n\r\n",
	    "web1|3|256|1|blocked|5.0\n");
	ok(XLH "web1\t3\t256\t1\t-b----\t5.0", "web1|3|256|1|blocked|5.0\n");
	ok("Name ID\nweb1 3 256 1 -b---- 5", "web1|3|256|1|blocked|5.0\n");
	/* Time without a fraction, or with more digits. */
	ok(XLH "a 1 2 3 r----- 7\nb 2 2 3 r----- 0.25\n",
	    "a|1|2|3|running|7.0\nb|2|2|3|running|0.2\n");
	/* A name that looks like columns is kept whole. */
	ok(XLH "1 2 3 4 5 ------ 6 7 8 -b---- 9.0\n",
	    "1 2 3 4 5 ------|6|7|8|blocked|9.0\n");
}

static void
test_refused(void **state)
{
	(void)state;
	REFUSED("");
	REFUSED("\n\n  \n");
	/* Not a list: error messages, help text. */
	REFUSED("web1 is an invalid domain identifier (rc=-6)\n");
	REFUSED("Error: Domain 'web1' does not exist.\n");
	REFUSED("Usage xl [-vfNtT] list [options] [Domain]\n");
	REFUSED("Name\n");
	REFUSED("ID Name\n");
	/* Rows that do not parse make the whole output refused. */
	REFUSED(XLH "web1\n");
	REFUSED(XLH "web1 3 256 1 -b----\n");
	REFUSED(XLH "web1 3 256 1 -b---- x\n");
	REFUSED(XLH "web1 3 256 1 -b---- 1.2.3\n");
	REFUSED(XLH "web1 3 256 1 -b---- .5\n");
	REFUSED(XLH "web1 3 256 1 -b---- -5.0\n");
	REFUSED(XLH "web1 3 256 1 -x---- 5.0\n");
	REFUSED(XLH "web1 3 256 1 b----- 5.0\n");
	REFUSED(XLH "web1 3 256 1 -b---x 5.0\n");
	REFUSED(XLH "web1 3 256 1 -b--- 5.0\n");
	REFUSED(XLH "web1 3 256 1 -b----- 5.0\n");
	REFUSED(XLH "web1 -3 256 1 -b---- 5.0\n");
	REFUSED(XLH "web1 3 256M 1 -b---- 5.0\n");
	REFUSED(XLH "web1 3 256 x -b---- 5.0\n");
	REFUSED(XLH "3 256 1 -b---- 5.0\n");
	REFUSED(XLH "256 1 -b---- 5.0\n");
	REFUSED(XLH "web1 99999999999999999999 256 1 -b---- 5.0\n");
	REFUSED(XLH "web1 3 256 1 -b---- 5.0\nlibxl: warning: something\n");
	/* xm's inactive form needs a name, Mem and VCPUs. */
	REFUSED(XMH "512 1 0.0\n");
	REFUSED(XMH "managed 1 0.0\n");
	/* A NUL byte would cut a name short. */
	REFUSED(XLH "we\0b1 3 256 1 -b---- 5.0\n");
	REFUSED("Name ID\0\n");
}

static void
test_inactive(void **state)
{
	(void)state;
	ok(XMH "managed-off                                      512     1"
	    "                 0.0\n", "managed-off|-1|512|1|stopped|0.0\n");
	/* Columns do not matter, only the fields. */
	ok(XMH "m 512 1 0.0\n", "m|-1|512|1|stopped|0.0\n");
}

static void
test_state_words(void **state)
{
	static const struct {
		const char	*letters;
		const char	*word;
	} t[] = {
		{ "r-----", "running" },
		{ "-b----", "blocked" },
		{ "--p---", "paused" },
		{ "---s--", "shutdown" },
		{ "---sr-", "shutdown" },
		{ "---ss-", "shutdown" },
		{ "---sw-", "shutdown" },
		{ "---sS-", "shutdown" },
		{ "---sc-", "crashed" },	/* xl: shutdown, reason crash */
		{ "----c-", "crashed" },	/* xm: crashed flag */
		{ "-----d", "dying" },
		{ "---scd", "dying" },
		{ "------", "running" },	/* runnable, not on a CPU */
		{ "rb----", "running" },
		{ "-bp---", "paused" },
		{ "r-p---", "paused" },
		{ "--ps--", "shutdown" },
		{ "----r-", "shutdown" },	/* a reason implies shutdown */
		{ "rbpscd", "dying" },
		{ NULL, NULL },
	};
	static const char *const bad[] = {
		"", "-", "-----", "-------", "b-----", "-r----", "--s---",
		"---p--", "----x-", "-----c", "R-----", "------\n", " -----",
		"r----- ", "rbpsSd ", "\xff-----", NULL,
	};
	size_t	i;

	(void)state;
	for (i = 0; t[i].letters != NULL; i++) {
		if (domlist_state(t[i].letters) == NULL)
			fail_msg("%s: not a state", t[i].letters);
		if (strcmp(domlist_state(t[i].letters), t[i].word) != 0)
			fail_msg("%s: %s, want %s", t[i].letters,
			    domlist_state(t[i].letters), t[i].word);
	}
	for (i = 0; bad[i] != NULL; i++)
		if (domlist_state(bad[i]) != NULL)
			fail_msg("\"%s\" taken as a state", bad[i]);
	assert_null(domlist_state(NULL));
}

/*
 * Every combination xl or xm can print (flags r b p s d, and in column 5
 * xl's shutdown reason or xm's crashed flag), against XEN-FACTS 1.3's
 * precedence: d dying, c crashed, s (or any reason) shutdown, p paused,
 * r running, b blocked, none running; always one of DESIGN's six words.
 */
static void
test_state_every_combination(void **state)
{
	static const char	reasons[] = "-rscwS";
	char			l[7];
	const char		*got, *want;
	unsigned int		bits, ri;

	(void)state;
	l[6] = '\0';
	for (bits = 0; bits < 32; bits++) {
		for (ri = 0; ri < sizeof(reasons) - 1; ri++) {
			l[0] = bits & 1 ? 'r' : '-';
			l[1] = bits & 2 ? 'b' : '-';
			l[2] = bits & 4 ? 'p' : '-';
			l[3] = bits & 8 ? 's' : '-';
			l[4] = reasons[ri];
			l[5] = bits & 16 ? 'd' : '-';
			if (l[5] == 'd')
				want = "dying";
			else if (l[4] == 'c')
				want = "crashed";
			else if (l[3] == 's' || l[4] != '-')
				want = "shutdown";
			else if (l[2] == 'p')
				want = "paused";
			else if (l[0] == 'r')
				want = "running";
			else if (l[1] == 'b')
				want = "blocked";
			else
				want = "running";
			got = domlist_state(l);
			if (got == NULL || strcmp(got, want) != 0)
				fail_msg("%s: %s, want %s", l,
				    got ? got : "(none)", want);
		}
	}
}

static void
test_many(void **state)
{
	struct domlist	 dl;
	char		*buf;
	size_t		 n, i, size = 4 << 20;

	(void)state;
	/* Many rows: the array grows; every row is kept in order. */
	buf = malloc(size);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, size, XLH);
	for (i = 0; i < 20000; i++)
		n += (size_t)snprintf(buf + n, size - n,
		    "%-40s %5zu %5d %5d     %s  %8.1f\n", "d", i, 256, 1,
		    "-b----", 1.5);
	assert_int_equal(domlist_parse(buf, n, &dl), 0);
	assert_int_equal(dl.d_n, 20000);
	assert_int_equal(dl.d_v[19999].id, 19999);
	assert_string_equal(dl.d_v[123].name, "d");
	domlist_free(&dl);
	/* Freeing twice, or an empty list, is harmless. */
	domlist_free(&dl);
	domlist_free(NULL);
	/* The length is honoured. */
	memcpy(buf, XLH "a 1 2 3 r----- 4.0\nb 1 2 3 r----- 4.0\n",
	    sizeof(XLH) + 38);
	assert_int_equal(domlist_parse(buf, sizeof(XLH) - 1 + 19, &dl), 0);
	assert_int_equal(dl.d_n, 1);
	domlist_free(&dl);
	free(buf);
	assert_int_equal(domlist_parse(NULL, 0, &dl), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_inactive),
		cmocka_unit_test(test_state_words),
		cmocka_unit_test(test_state_every_combination),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests_name("domlist", tests, NULL, NULL);
}
