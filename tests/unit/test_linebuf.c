/*
 * test_linebuf.c: the request line reader (DESIGN.md 2, STYLE.md 2.9).
 *
 * Every case is written as an input byte string and the transcript of
 * events it must produce: L[content] for a line, B for a bad line, T for a
 * line that grew too long.  Most cases are replayed in every split: whole,
 * byte by byte, cut once at every offset and cut twice at every pair of
 * offsets, and must give the same transcript each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "linebuf.h"

#define IAC	"\xff"
#define DONT	"\xfe"
#define DO	"\xfd"
#define WONT	"\xfc"
#define WILL	"\xfb"
#define SB	"\xfa"
#define NOP	"\xf1"
#define SE	"\xf0"

struct transcript {
	char	s[16384];
	size_t	n;
};

static void
tr_add(struct transcript *t, const char *s, size_t len)
{
	assert_true(t->n + len < sizeof(t->s));
	memcpy(t->s + t->n, s, len);
	t->n += len;
	t->s[t->n] = '\0';
}

static void
tr_event(struct transcript *t, enum lb_result r, const char *line,
    size_t linelen)
{
	char	hex[8];
	size_t	i;

	switch (r) {
	case LB_LINE:
		assert_non_null(line);
		/* The content is NUL-terminated where linelen says. */
		assert_int_equal(line[linelen], '\0');
		assert_true(linelen <= ARGO_MAX_LINE);
		tr_add(t, "L[", 2);
		for (i = 0; i < linelen; i++) {
			unsigned char c = (unsigned char)line[i];

			if (c >= 0x20 && c < 0x7f && c != '\\')
				tr_add(t, line + i, 1);
			else {
				snprintf(hex, sizeof(hex), "\\x%02x", c);
				tr_add(t, hex, 4);
			}
		}
		tr_add(t, "]", 1);
		break;
	case LB_BAD:
		tr_add(t, "B", 1);
		break;
	case LB_TOO_LONG:
		tr_add(t, "T", 1);
		break;
	case LB_NEED_MORE:
		break;
	}
}

/* Feed one chunk, recording every event. */
static void
feed(struct linebuf *lb, const unsigned char *d, size_t len,
    struct transcript *t)
{
	enum lb_result	 r;
	const char	*line;
	size_t		 used, linelen;

	while (len > 0) {
		used = (size_t)-1;
		r = lb_feed(lb, d, len, &used, &line, &linelen);
		assert_true(used <= len);
		if (r == LB_NEED_MORE) {
			assert_int_equal(used, len);
			assert_null(line);
		} else
			assert_true(used >= 1);
		tr_event(t, r, line, linelen);
		d += used;
		len -= used;
	}
}

/* The transcript of in[0..len) cut at the given offsets (ascending). */
static void
run_cuts(const char *in, size_t len, const size_t *cuts, size_t ncuts,
    struct transcript *t)
{
	struct linebuf	lb;
	size_t		i, from = 0;

	t->n = 0;
	t->s[0] = '\0';
	lb_init(&lb);
	for (i = 0; i < ncuts; i++) {
		feed(&lb, (const unsigned char *)in + from, cuts[i] - from, t);
		from = cuts[i];
	}
	feed(&lb, (const unsigned char *)in + from, len - from, t);
}

/* The start of in, escaped, for failure messages. */
static const char *
show(const char *in, size_t len)
{
	static char	buf[256];
	size_t		i, n = 0;

	for (i = 0; i < len && n + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", c);
	}
	buf[n] = '\0';
	return buf;
}

/* in must give expect however it is split. */
static void
check_splits(const char *in, size_t len, const char *expect)
{
	static struct transcript	t;
	struct linebuf			lb;
	size_t				cuts[2], i, j;

	run_cuts(in, len, NULL, 0, &t);
	if (strcmp(t.s, expect) != 0)
		fail_msg("%s: whole: got \"%.200s\", want \"%.200s\"",
		    show(in, len), t.s, expect);

	t.n = 0;
	t.s[0] = '\0';
	lb_init(&lb);
	for (i = 0; i < len; i++)
		feed(&lb, (const unsigned char *)in + i, 1, &t);
	if (strcmp(t.s, expect) != 0)
		fail_msg("bytewise: got \"%s\", want \"%s\"", t.s, expect);

	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		run_cuts(in, len, cuts, 1, &t);
		if (strcmp(t.s, expect) != 0)
			fail_msg("cut at %zu: got \"%s\", want \"%s\"", i,
			    t.s, expect);
	}
	if (len > 300)
		return;
	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			run_cuts(in, len, cuts, 2, &t);
			if (strcmp(t.s, expect) != 0)
				fail_msg("cuts at %zu,%zu: got \"%s\", "
				    "want \"%s\"", i, j, t.s, expect);
		}
}

#define CHECK(lit, expect)	check_splits((lit), sizeof(lit) - 1, (expect))

static void
test_line_ends(void **state)
{
	(void)state;
	CHECK("help\n", "L[help]");
	CHECK("help\r\n", "L[help]");
	CHECK("help\r\0", "L[help]");
	CHECK("list running\n", "L[list running]");
	/* No line end yet: nothing. */
	CHECK("help", "");
	CHECK("help\r", "");
	/* Blank lines are reported (the caller ignores them). */
	CHECK("\n", "L[]");
	CHECK("\r\n", "L[]");
	CHECK("\r\0", "L[]");
	CHECK("  \t \n", "L[  \\x09 ]");
	/* CR NUL then LF: the LF is a second, blank line. */
	CHECK("a\r\0\n", "L[a]L[]");
	CHECK("a\r\0b\r\n", "L[a]L[b]");
	/* A trailing blank is content; splitting words is lb_split's job. */
	CHECK("help \n", "L[help ]");
}

static void
test_pipelined(void **state)
{
	struct linebuf	 lb;
	const char	*line;
	size_t		 used, linelen;
	static const char in[] = "help\nversion\r\nwhoami\r\0quit\n";
	const unsigned char *p = (const unsigned char *)in;
	size_t		 len = sizeof(in) - 1;

	(void)state;
	CHECK("help\nversion\r\nwhoami\r\0quit\n",
	    "L[help]L[version]L[whoami]L[quit]");
	CHECK("a\nb\nc", "L[a]L[b]");

	/* Each call stops right after its line end. */
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, p, len, &used, &line, &linelen),
	    LB_LINE);
	assert_int_equal(used, 5);
	assert_string_equal(line, "help");
	assert_int_equal(linelen, 4);
	p += used;
	len -= used;
	assert_int_equal(lb_feed(&lb, p, len, &used, &line, &linelen),
	    LB_LINE);
	assert_int_equal(used, 9);
	assert_string_equal(line, "version");
	p += used;
	len -= used;
	assert_int_equal(lb_feed(&lb, p, len, &used, &line, &linelen),
	    LB_LINE);
	assert_int_equal(used, 8);
	assert_string_equal(line, "whoami");
	p += used;
	len -= used;
	assert_int_equal(lb_feed(&lb, p, len, &used, &line, &linelen),
	    LB_LINE);
	assert_int_equal(used, 5);
	assert_string_equal(line, "quit");
	assert_int_equal(len, used);
	assert_int_equal(lb_feed(&lb, p, 0, &used, &line, &linelen),
	    LB_NEED_MORE);
	assert_int_equal(used, 0);
}

static void
test_partial_across_chunks(void **state)
{
	struct linebuf	 lb;
	const char	*line;
	size_t		 used, linelen;

	(void)state;
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"list ", 5,
	    &used, &line, &linelen), LB_NEED_MORE);
	assert_int_equal(used, 5);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"runn", 4,
	    &used, &line, &linelen), LB_NEED_MORE);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"ing\r", 4,
	    &used, &line, &linelen), LB_NEED_MORE);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"\nhe", 3,
	    &used, &line, &linelen), LB_LINE);
	assert_int_equal(used, 1);
	assert_string_equal(line, "list running");
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"he", 2,
	    &used, &line, &linelen), LB_NEED_MORE);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"lp\n", 3,
	    &used, &line, &linelen), LB_LINE);
	assert_string_equal(line, "help");
}

static void
test_bad_bytes(void **state)
{
	char	in[8];
	int	c;

	(void)state;
	CHECK("he\0lp\n", "B");
	CHECK("\0\n", "B");
	CHECK("he\rlp\n", "B");
	CHECK("help\r\r\n", "B");
	CHECK("\rhelp\n", "B");
	CHECK("a\x01\n", "B");
	CHECK("a\x1b[A\n", "B");
	CHECK("a\x7f\n", "B");
	CHECK("a\x1f\n", "B");
	/* TAB and bytes from 0x80 are data (UTF-8 passwords). */
	CHECK("a\tb\n", "L[a\\x09b]");
	CHECK("auth bob p\xc3\xa4ss\n", "L[auth bob p\\xc3\\xa4ss]");
	CHECK("\x80\xfe\n", "L[\\x80\\xfe]");
	/* A bad line does not spoil the next one. */
	CHECK("a\x01\nhelp\n", "BL[help]");
	CHECK("\0\r\n\0\nok\n", "BBL[ok]");

	/* Every control byte but TAB, CR and LF, alone in a line. */
	for (c = 0; c < 0x20; c++) {
		if (c == '\t' || c == '\r' || c == '\n')
			continue;
		in[0] = 'x';
		in[1] = (char)c;
		in[2] = 'y';
		in[3] = '\n';
		check_splits(in, 4, "B");
	}
}

static void
test_bad_line_content(void **state)
{
	struct linebuf	 lb;
	const char	*line;
	size_t		 used, linelen;

	(void)state;
	/* A bad line is handed over too, for the log (sanitised there). */
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"a\0b\n", 4,
	    &used, &line, &linelen), LB_BAD);
	assert_int_equal(used, 4);
	assert_int_equal(linelen, 3);
	assert_memory_equal(line, "a\0b", 4);
}

/*
 * An IAC sequence inserted at every position of "help\r\n"; isdata says
 * that it stands for data (shown in the transcript as `data`).
 */
static void
iac_everywhere(const char *seq, size_t seqlen, const char *data, int isdata)
{
	static const char	base[] = "help\r\n";
	char			in[64], expect[64];
	size_t			k, n;

	for (k = 0; k <= sizeof(base) - 1; k++) {
		n = 0;
		memcpy(in, base, k);
		n += k;
		memcpy(in + n, seq, seqlen);
		n += seqlen;
		memcpy(in + n, base + k, sizeof(base) - 1 - k);
		n += sizeof(base) - 1 - k;
		if (!isdata || k == sizeof(base) - 1)
			snprintf(expect, sizeof(expect), "L[help]");
		else if (k == 5)
			/* Data between CR and LF: the CR is alone. */
			snprintf(expect, sizeof(expect), "B");
		else
			snprintf(expect, sizeof(expect), "L[%.*s%s%.*s]",
			    (int)k, base, data, (int)(4 - k), base + k);
		check_splits(in, n, expect);
	}
}

#define IACE(seq, data, isdata) \
	iac_everywhere((seq), sizeof(seq) - 1, (data), (isdata))

static void
test_iac(void **state)
{
	(void)state;
	IACE(IAC WILL "\x01", "", 0);
	IACE(IAC WONT "\x01", "", 0);
	IACE(IAC DO "\x03", "", 0);
	IACE(IAC DONT "\x22", "", 0);
	IACE(IAC NOP, "", 0);
	IACE(IAC "\xf4", "", 0);		/* IP */
	IACE(IAC SE, "", 0);		/* stray SE */
	IACE(IAC "\x41", "", 0);		/* not a command */
	IACE(IAC SB "\x18\x00" "xterm" IAC SE, "", 0);
	IACE(IAC SB "\x1f\x00\x50\x00\x18" IAC SE, "", 0);
	/* Line ends and IAC IAC inside a subnegotiation are payload. */
	IACE(IAC SB "a\nb\r\0" IAC IAC "c" IAC SE, "", 0);
	/* The option byte is never data, even when it is LF, CR or IAC. */
	IACE(IAC DO "\n", "", 0);
	IACE(IAC WILL "\r", "", 0);
	IACE(IAC WONT "\0", "", 0);
	IACE(IAC DONT IAC, "", 0);
	/* Several in a row. */
	IACE(IAC DO "\x01" IAC WILL "\x03" IAC NOP, "", 0);
	/* IAC IAC is one 0xff data byte. */
	IACE(IAC IAC, "\\xff", 1);

	CHECK(IAC IAC "\n", "L[\\xff]");
	CHECK(IAC IAC IAC IAC "\n", "L[\\xff\\xff]");
	CHECK(IAC IAC IAC NOP "\n", "L[\\xff]");
	/* A telnet client in character mode: negotiation, then keys. */
	CHECK(IAC DO "\x01" IAC WILL "\x03" IAC SB "\x18\x01" IAC SE
	    "h" "e" "l" "p" "\r\0" "quit\r\0", "L[help]L[quit]");
	/* Unfinished sequences at the end of the input: no event. */
	CHECK("help" IAC, "");
	CHECK("help" IAC DO, "");
	CHECK("help" IAC SB "abc", "");
	CHECK("help" IAC SB "abc" IAC, "");
	/* A LF inside an unfinished SB does not end the line. */
	CHECK("help" IAC SB "\n", "");
	CHECK("help" IAC SB "\n" IAC SE "\n", "L[help]");
	/* Inside SB, IAC followed by anything but SE stays inside. */
	CHECK(IAC SB "x" IAC NOP "\n" IAC SE "ok\n", "L[ok]");
}

static void
fill(char *buf, size_t n, char c)
{
	memset(buf, c, n);
}

static void
test_limit(void **state)
{
	static char	in[8192], expect[4096];
	struct linebuf	lb;
	const char	*line;
	size_t		used, linelen, n;

	(void)state;
	/* Exactly ARGO_MAX_LINE bytes: a line. */
	fill(in, ARGO_MAX_LINE, 'a');
	memcpy(in + ARGO_MAX_LINE, "\n", 1);
	snprintf(expect, sizeof(expect), "L[%.*s]", ARGO_MAX_LINE, in);
	check_splits(in, ARGO_MAX_LINE + 1, expect);
	memcpy(in + ARGO_MAX_LINE, "\r\n", 2);
	check_splits(in, ARGO_MAX_LINE + 2, expect);
	memcpy(in + ARGO_MAX_LINE, "\r\0", 2);
	check_splits(in, ARGO_MAX_LINE + 2, expect);

	/* One more: too long, reported once, then the next line is fine. */
	fill(in, ARGO_MAX_LINE + 1, 'a');
	memcpy(in + ARGO_MAX_LINE + 1, "\nhelp\n", 6);
	check_splits(in, ARGO_MAX_LINE + 7, "TL[help]");
	memcpy(in + ARGO_MAX_LINE + 1, "\r\nhelp\r\n", 8);
	check_splits(in, ARGO_MAX_LINE + 9, "TL[help]");
	/* Discarding ends at CR NUL as well. */
	memcpy(in + ARGO_MAX_LINE + 1, "\r\0help\r\0", 8);
	check_splits(in, ARGO_MAX_LINE + 9, "TL[help]");

	/* Far too long: still one report. */
	fill(in, 5000, 'b');
	memcpy(in + 5000, "\nquit\n", 6);
	check_splits(in, 5006, "TL[quit]");

	/* Control bytes in an over-long line: too long wins, no B. */
	fill(in, 2000, 'c');
	in[10] = '\0';
	in[1500] = '\x01';
	memcpy(in + 2000, "\nok\n", 4);
	check_splits(in, 2004, "TL[ok]");

	/* A lone CR is the 1025th byte: too long. */
	fill(in, ARGO_MAX_LINE, 'a');
	memcpy(in + ARGO_MAX_LINE, "\rx\nok\n", 6);
	check_splits(in, ARGO_MAX_LINE + 6, "TL[ok]");
	/* ... and a lone CR that starts CR NUL right after it. */
	memcpy(in + ARGO_MAX_LINE, "\r\r\0ok\n", 6);
	check_splits(in, ARGO_MAX_LINE + 6, "TL[ok]");

	/* Telnet sequences do not count towards the limit. */
	fill(in, ARGO_MAX_LINE / 2, 'a');
	n = ARGO_MAX_LINE / 2;
#define SEQ	IAC NOP IAC DO "\x01" IAC SB "xyz" IAC SE
	memcpy(in + n, SEQ, sizeof(SEQ) - 1);
	n += sizeof(SEQ) - 1;
#undef SEQ
	fill(in + n, ARGO_MAX_LINE / 2, 'a');
	n += ARGO_MAX_LINE / 2;
	memcpy(in + n, "\n", 1);
	n++;
	fill(expect, 2 + ARGO_MAX_LINE, 'a');
	memcpy(expect, "L[", 2);
	memcpy(expect + 2 + ARGO_MAX_LINE, "]", 2);
	check_splits(in, n, expect);

	/* IAC IAC counts as one byte. */
	fill(in, ARGO_MAX_LINE - 1, 'a');
	memcpy(in + ARGO_MAX_LINE - 1, IAC IAC "\n", 3);
	snprintf(expect, sizeof(expect), "L[%.*s\\xff]", ARGO_MAX_LINE - 1,
	    in);
	check_splits(in, ARGO_MAX_LINE + 2, expect);
	fill(in, ARGO_MAX_LINE, 'a');
	memcpy(in + ARGO_MAX_LINE, IAC IAC "\nok\n", 6);
	check_splits(in, ARGO_MAX_LINE + 6, "TL[ok]");

	/* The report comes at the 1025th byte, not at the line end. */
	fill(in, ARGO_MAX_LINE + 10, 'a');
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)in,
	    ARGO_MAX_LINE, &used, &line, &linelen), LB_NEED_MORE);
	assert_int_equal(used, ARGO_MAX_LINE);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)in, 10, &used,
	    &line, &linelen), LB_TOO_LONG);
	assert_int_equal(used, 1);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)in, 10, &used,
	    &line, &linelen), LB_NEED_MORE);
	assert_int_equal(used, 10);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"zz\nhi\n", 6,
	    &used, &line, &linelen), LB_LINE);
	assert_int_equal(used, 6);
	assert_string_equal(line, "hi");

	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)in,
	    ARGO_MAX_LINE + 10, &used, &line, &linelen), LB_TOO_LONG);
	assert_int_equal(used, ARGO_MAX_LINE + 1);
}

static void
test_subnegotiation_limit(void **state)
{
	static char	in[4096];
	size_t		n;

	(void)state;
	/* ARGO_MAX_LINE bytes of payload are still skipped. */
	memcpy(in, "ab" IAC SB, 4);
	fill(in + 4, ARGO_MAX_LINE, 'x');
	memcpy(in + 4 + ARGO_MAX_LINE, IAC SE "c\nok\n", 7);
	check_splits(in, ARGO_MAX_LINE + 11, "L[abc]L[ok]");

	/* One more is LINE TOO LONG, then discard to the line end. */
	memcpy(in, "ab" IAC SB, 4);
	fill(in + 4, ARGO_MAX_LINE + 1, 'x');
	n = 4 + ARGO_MAX_LINE + 1;
	memcpy(in + n, "more" IAC SE "c\nok\n", 11);
	n += 11;
	check_splits(in, n, "TL[ok]");

	/* An endless SB while already discarding: no second report. */
	fill(in, ARGO_MAX_LINE + 5, 'y');
	n = ARGO_MAX_LINE + 5;
	memcpy(in + n, IAC SB, 2);
	n += 2;
	fill(in + n, 2 * ARGO_MAX_LINE, 'x');
	n += 2 * ARGO_MAX_LINE;
	memcpy(in + n, "\nok\n", 4);
	n += 4;
	check_splits(in, n, "TL[ok]");
}

static void
test_reinit_and_blank(void **state)
{
	struct linebuf	 lb;
	const char	*line;
	size_t		 used, linelen;

	(void)state;
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"\n", 1, &used,
	    &line, &linelen), LB_LINE);
	assert_int_equal(linelen, 0);
	assert_string_equal(line, "");
	/* State left by a partial line is gone after lb_init(). */
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"ab\r" IAC SB,
	    5, &used, &line, &linelen), LB_NEED_MORE);
	lb_init(&lb);
	assert_int_equal(lb_feed(&lb, (const unsigned char *)"cd\n", 3,
	    &used, &line, &linelen), LB_LINE);
	assert_string_equal(line, "cd");
}

#define SET(buf, lit)	snprintf((buf), sizeof(buf), "%s", (lit))

static void
test_split(void **state)
{
	char	 buf[128];
	char	*argv[ARGO_MAX_WORDS];

	(void)state;
	SET(buf, "list running");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 2);
	assert_string_equal(argv[0], "list");
	assert_string_equal(argv[1], "running");

	SET(buf, " \t auth  bob\t\tsecret \t ");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 3);
	assert_string_equal(argv[0], "auth");
	assert_string_equal(argv[1], "bob");
	assert_string_equal(argv[2], "secret");

	SET(buf, "");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 0);
	SET(buf, " \t  \t");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 0);
	SET(buf, "x");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 1);
	assert_string_equal(argv[0], "x");

	/* Other bytes are not separators. */
	SET(buf, "a\xff" "b\xc2\xa0" "c");
	assert_int_equal(lb_split(buf, argv, ARGO_MAX_WORDS), 1);

	/* Exactly the maximum, then one more. */
	SET(buf, "1 2 3 4 5 6 7 8");
	assert_int_equal(lb_split(buf, argv, 8), 8);
	assert_string_equal(argv[7], "8");
	SET(buf, "1 2 3 4 5 6 7 8 9");
	assert_int_equal(lb_split(buf, argv, 8), -1);
	assert_string_equal(argv[0], "1");
	assert_string_equal(argv[7], "8");
	SET(buf, "1 2 3 4 5 6 7 8    ");
	assert_int_equal(lb_split(buf, argv, 8), 8);
	SET(buf, "a b");
	assert_int_equal(lb_split(buf, argv, 1), -1);
	assert_string_equal(argv[0], "a");
	SET(buf, "  ");
	assert_int_equal(lb_split(buf, NULL, 0), 0);
	SET(buf, "a");
	assert_int_equal(lb_split(buf, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_partial_across_chunks),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_bad_line_content),
		cmocka_unit_test(test_iac),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_subnegotiation_limit),
		cmocka_unit_test(test_reinit_and_blank),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests_name("linebuf", tests, NULL, NULL);
}
