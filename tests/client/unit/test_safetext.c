/*
 * test_safetext.c: what the client shows of a server's text
 * (argo_safe_text).  C0 but TAB, DEL, C1 (raw outside UTF-8, and encoded)
 * and the bidi embeddings, overrides and isolates become one `?` each;
 * valid UTF-8 around them, and bytes that are only wrong, stay.  Each case
 * is also run in place, as the client runs it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "argo.h"

struct tcase {
	const char	*in;
	size_t		 inlen;		/* 0: strlen(in) */
	const char	*want;
};

static const struct tcase cases[] = {
	{ "plain text, TAB\tkept", 0, "plain text, TAB\tkept" },
	{ "", 0, "" },
	/* C0 and DEL, as before */
	{ "a\x1b[2Jb\x07" "c\x7f" "d\re", 0, "a?[2Jb?c?d?e" },
	{ "nul\0here", 8, "nul?here" },
	/* raw C1: CSI, OSC, DCS, ST, NEL, and the range's ends */
	{ "x\x9b" "31my", 0, "x?31my" },
	{ "\x9d" "0;pwned\x9c", 0, "?0;pwned?" },
	{ "\x80\x85\x90\x9f", 0, "????" },
	/* C1 encoded in UTF-8: one ? each */
	{ "a\xc2\x9b" "31mb", 0, "a?31mb" },
	{ "\xc2\x80\xc2\x85\xc2\x9f", 0, "???" },
	/* bidi: LRE PDF RLO, LRI FSI PDI, the ranges' ends */
	{ "web1\xe2\x80\xae" "1bew", 0, "web1?1bew" },
	{ "\xe2\x80\xaa\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae", 0, "????" },
	{ "\xe2\x81\xa6" "a\xe2\x81\xa8\xe2\x81\xa9", 0, "?a??" },
	/* their neighbours are ordinary characters */
	{ "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa", 0,
	    "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa" },
	{ "\xc2\xa0\xc2\x7f", 0, "\xc2\xa0\xc2?" },
	/* 0x80-0x9f as continuation bytes of valid UTF-8: kept */
	{ "\xc3\x9b \xc4\x81 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	    "\xc3\x9b \xc4\x81 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "d\xc3\xa9j\xc3\xa0 vu", 0, "d\xc3\xa9j\xc3\xa0 vu" },
	/* invalid UTF-8: C1-range bytes go, the others are only shown */
	{ "\xe2\x80", 0, "\xe2?" },			/* cut */
	{ "\xe2\x80" "A", 0, "\xe2?A" },
	{ "\xc0\x9b\xc1\x9b", 0, "\xc0?\xc1?" },	/* overlong */
	{ "\xe0\x82\x9b", 0, "\xe0??" },		/* overlong */
	{ "\xed\xa0\x80", 0, "\xed\xa0?" },		/* surrogate */
	{ "\xf4\x90\x80\x80", 0, "\xf4???" },		/* past U+10FFFF */
	{ "\xf8\x88\x80\x80\x80", 0, "\xf8????" },
	{ "caf\xe9 \xff\xfe", 0, "caf\xe9 \xff\xfe" },	/* Latin-1 */
	{ "\xc2", 0, "\xc2" },
};

static void
test_cases(void **state)
{
	char	buf[64];
	size_t	i, n, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *t = &cases[i];

		len = t->inlen ? t->inlen : strlen(t->in);
		assert_true(len < sizeof(buf));
		memset(buf, 'Z', sizeof(buf));
		n = argo_safe_text(buf, t->in, len);
		if (n != strlen(t->want) || memcmp(buf, t->want, n) != 0)
			fail_msg("case %zu: got \"%.*s\"", i, (int)n, buf);
		/* in place */
		memcpy(buf, t->in, len);
		n = argo_safe_text(buf, buf, len);
		if (n != strlen(t->want) || memcmp(buf, t->want, n) != 0)
			fail_msg("case %zu in place: got \"%.*s\"", i, (int)n,
			    buf);
	}
}

/* Every byte string of up to 3 bytes: never longer, no C0 (but TAB) or
 * DEL left, and a second pass changes nothing (so no C1 or bidi control
 * is left either: the pass would take it). */
static void
test_exhaustive(void **state)
{
	unsigned char	in[3], out[3], again[3];
	unsigned long	v;
	size_t		n, m, len, i;

	(void)state;
	for (len = 1; len <= 3; len++)
		for (v = 0; v < (1UL << (8 * len)); v++) {
			for (i = 0; i < len; i++)
				in[i] = (unsigned char)(v >> (8 * i));
			n = argo_safe_text((char *)out, (const char *)in, len);
			assert_true(n <= len);
			for (i = 0; i < n; i++)
				assert_false((out[i] < 0x20 && out[i] != '\t') ||
				    out[i] == 0x7f);
			m = argo_safe_text((char *)again, (const char *)out, n);
			assert_int_equal(m, n);
			assert_memory_equal(again, out, n);
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_exhaustive),
	};

	return (cmocka_run_group_tests_name("safetext", tests, NULL, NULL));
}
