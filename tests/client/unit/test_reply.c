/*
 * test_reply.c: the reply reader.  Every case is a byte string and the
 * transcript of events it must give (O ok, E[line] error, B[line] body,
 * D end, X bad, L too long), replayed whole, byte by byte and cut at
 * every offset: the same transcript each time.
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
#include "reply.h"

struct tcase {
	const char	*in;
	const char	*want;
};

static const struct tcase cases[] = {
	{ "200 OK\n300 DONE\n", "O D " },
	{ "200 OK\r\nweb1\r\ndb1\r\n300 DONE\r\n", "O B[web1] B[db1] D " },
	{ "400 NO SUCH INSTANCE\n", "E[400 NO SUCH INSTANCE] " },
	{ "400\n", "E[400] " },
	{ "200 OK\n 200 OK\n 300 DONE\n\n300 BYE\n",
	    "O B[ 200 OK] B[ 300 DONE] B[] D " },
	{ "200 OK\n300\n", "O D " },
	{ "200 OK\n3000 x\n300 DONE\n", "O B[3000 x] D " },
	{ "HELLO\n", "X " },
	{ "300 DONE\n", "X " },
	{ "2000 OK\n", "X " },
	{ "200 OK\n400 X\n", "O X " },
	{ "200 OK\n200 OK\n", "O X " },
	{ "200 OK\nno end yet", "O " },
	{ "200 OK\na\rb\n300 DONE\n", "O B[a\rb] D " },
	{ "200 OK\n300 DONE\n200 OK\nx\n300 DONE\n400 Y\n",
	    "O D O B[x] D E[400 Y] " },
};

static void
add(char *out, size_t outlen, const char *ev)
{
	size_t	have = strlen(out), n = strlen(ev);

	assert_true(have + n < outlen);
	memcpy(out + have, ev, n + 1);
}

static void
feed(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    char *out, size_t outlen)
{
	struct reader	 r;
	struct reply	 rp;
	size_t		 at = 0, k, room, n, llen;
	char		*space, *l;
	int		 rc;

	reader_init(&r);
	memset(&rp, 0, sizeof(rp));
	out[0] = '\0';
	for (k = 0; k <= ncuts; k++) {
		size_t	end = k < ncuts ? cuts[k] : len;

		while (at < end) {
			space = reader_space(&r, &room);
			n = end - at < room ? end - at : room;
			memcpy(space, in + at, n);
			reader_commit(&r, n);
			at += n;
		}
		while ((rc = reader_line(&r, &l, &llen)) == 1) {
			char	ev[64];

			switch (reply_line(&rp, l, llen)) {
			case RP_OK:
				(void)snprintf(ev, sizeof(ev), "O ");
				break;
			case RP_ERROR:
				(void)snprintf(ev, sizeof(ev), "E[%s] ", l);
				break;
			case RP_BODY:
				(void)snprintf(ev, sizeof(ev), "B[%s] ", l);
				break;
			case RP_END:
				(void)snprintf(ev, sizeof(ev), "D ");
				break;
			default:
				(void)snprintf(ev, sizeof(ev), "X ");
				break;
			}
			add(out, outlen, ev);
			if (strcmp(ev, "X ") == 0)
				goto done;
		}
		if (rc == -1) {
			add(out, outlen, "L ");
			goto done;
		}
	}
done:
	reader_free(&r);
}

static void
test_cases(void **state)
{
	char	got[1024];
	size_t	i, c, len, bytes[256];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		feed(cases[i].in, len, &len, 0, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu whole: got \"%s\"", i, got);
		for (c = 1; c < len; c++) {
			feed(cases[i].in, len, &c, 1, got, sizeof(got));
			if (strcmp(got, cases[i].want) != 0)
				fail_msg("case %zu cut at %zu: \"%s\"", i, c,
				    got);
		}
		assert_true(len < 256);
		for (c = 0; c < len; c++)
			bytes[c] = c + 1;
		feed(cases[i].in, len, bytes, len - 1, got, sizeof(got));
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu byte by byte: \"%s\"", i, got);
	}
}

static void
test_long_lines(void **state)
{
	size_t	 n = ARGO_CLIENT_MAX_RLINE + 16, cut;
	char	*in = malloc(n + 32), got[256];

	(void)state;
	assert_non_null(in);
	/* Exactly the limit is a line; one more byte is too long. */
	memcpy(in, "200 OK\n", 7);
	memset(in + 7, 'x', ARGO_CLIENT_MAX_RLINE);
	memcpy(in + 7 + ARGO_CLIENT_MAX_RLINE, "\n300 DONE\n", 10);
	feed(in, 17 + ARGO_CLIENT_MAX_RLINE, &n, 0, got, sizeof(got));
	assert_int_equal(strncmp(got, "O B[xxx", 7), 0);
	memset(in + 7, 'x', ARGO_CLIENT_MAX_RLINE + 1);
	memcpy(in + 8 + ARGO_CLIENT_MAX_RLINE, "\n300 DONE\n", 10);
	feed(in, 18 + ARGO_CLIENT_MAX_RLINE, &n, 0, got, sizeof(got));
	assert_string_equal(got, "O L ");
	/* No line end at all, in small pieces: refused, not stored. */
	memset(in + 7, 'z', n - 7);
	cut = 4096;
	feed(in, n, &cut, 1, got, sizeof(got));
	assert_string_equal(got, "O L ");
	free(in);
}

static void
test_pending(void **state)
{
	struct reader	 r;
	const char	*p;
	char		*space, *l;
	size_t		 room, len;

	(void)state;
	reader_init(&r);
	space = reader_space(&r, &room);
	memcpy(space, "200 OK\nraw\x1b bytes", 17);
	reader_commit(&r, 17);
	assert_int_equal(reader_line(&r, &l, &len), 1);
	assert_string_equal(l, "200 OK");
	assert_int_equal(reader_pending(&r, &p), 10);
	assert_memory_equal(p, "raw\x1b bytes", 10);
	reader_take(&r, 4);
	assert_int_equal(reader_pending(&r, &p), 6);
	assert_memory_equal(p, " bytes", 6);
	reader_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_pending),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
