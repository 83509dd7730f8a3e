/*
 * test_xencfg.c: the Xen domain config tokenizer (DESIGN.md 3.1,
 * XEN-FACTS.md 3), one sample file per rule in tests/data/xen/ (see the
 * README there), plus generated inputs for the limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "xencfg.h"

#define DATADIR		"tests/data/xen/"

struct golden {
	const char	*file;
	const char	*name;		/* NULL: no acceptable name */
	const char	*why;		/* when name is NULL: why */
	long		 memory;
	long		 vcpus;
};

static const struct golden goldens[] = {
	{ "quote-double.cfg", "web1", NULL, 256, 1 },
	{ "quote-single.cfg", "web2", NULL, 512, 2 },
	{ "comments.cfg", "web3", NULL, 128, -1 },
	{ "semicolons.cfg", "semi", NULL, 256, 4 },
	{ "lists.cfg", "lists", NULL, 1024, -1 },
	{ "crlf.cfg", "crlf", NULL, 256, 2 },
	{ "bom.cfg", "bom", NULL, 64, -1 },
	{ "last-wins.cfg", "second", NULL, 256, -1 },
	{ "vif-name.cfg", "real-vm", NULL, -1, -1 },
	{ "vif-name-only.cfg", NULL, "no name", -1, -1 },
	{ "computed.cfg", NULL, "name is not a string literal", -1, -1 },
	{ "upper.cfg", NULL, "no name", 256, -1 },
	{ "name-number.cfg", NULL, "name is not a string literal", -1, -1 },
	{ "name-list.cfg", NULL, "name is not a string literal", -1, -1 },
	{ "name-two-strings.cfg", NULL, "name is not a string literal", -1,
	    -1 },
	{ "name-plus.cfg", NULL, "name is not a string literal", -1, -1 },
	{ "name-empty.cfg", NULL, "invalid name: empty", -1, -1 },
	{ "name-space.cfg", NULL, "invalid name: character outside", -1, -1 },
	{ "name-slash.cfg", NULL, "invalid name: character outside", -1, -1 },
	{ "name-shell.cfg", NULL, "invalid name: character outside", -1, -1 },
	{ "name-quote.cfg", NULL, "invalid name: character outside", -1, -1 },
	{ "name-utf8.cfg", NULL, "invalid name: character outside", -1, -1 },
	{ "name-escape.cfg", NULL, "invalid name: backslash escape", -1, -1 },
	{ "name-dash.cfg", NULL, "invalid name: starts with '-'", -1, -1 },
	{ "name-digits.cfg", NULL, "invalid name: all digits", -1, -1 },
	{ "name-dot.cfg", NULL, "invalid name: . or ..", -1, -1 },
	{ "name-dotdot.cfg", NULL, "invalid name: . or ..", -1, -1 },
	{ "name-64.cfg",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    NULL, -1, -1 },
	{ "name-65.cfg", NULL, "invalid name: longer than 64 bytes", -1, -1 },
	{ "name-charset.cfg", "Web_1.example:8080+x-y", NULL, -1, -1 },
	{ "nul.cfg", NULL, "NUL byte in file", -1, -1 },
	{ "noname.cfg", NULL, "no name", 256, 2 },
	{ "empty.cfg", NULL, "no name", -1, -1 },
	{ "xen-tools.cfg", "xt1.example.org", NULL, 512, 2 },
	{ "xm-python.cfg", "pyvm", NULL, 256, -1 },
	{ "indented.cfg", "indented", NULL, 32, -1 },
	{ "error-recovery.cfg", "recovered", NULL, -1, 2 },
	{ "unclosed-list.cfg", NULL, "no name", -1, -1 },
	{ "numbers.cfg", "numbers", NULL, 256, 8 },
	{ "numbers-bad.cfg", "numbers-bad", NULL, -1, -1 },
	{ "cr-only.cfg", NULL, "name is not a string literal", -1, -1 },
	{ "no-final-newline.cfg", "final", NULL, 256, -1 },
};

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
	n = fread(buf, 1, 1 << 20, f);
	assert_false(ferror(f));
	fclose(f);
	*lenp = n;
	return buf;
}

/* Check one buffer against its expectations. */
static void
expect(const char *label, const char *buf, size_t len, const char *name,
    const char *why, long memory, long vcpus)
{
	struct xencfg_info	info;
	char			reason[ARGO_ERR_LEN];
	int			rc;

	memset(&info, 0x5a, sizeof(info));
	memset(reason, 0x5a, sizeof(reason));
	rc = xencfg_parse(buf, len, &info, reason, sizeof(reason));
	if (name != NULL) {
		if (rc != 0 || !info.has_name)
			fail_msg("%s: no name (%s), want \"%s\"", label,
			    reason, name);
		if (strcmp(info.name, name) != 0)
			fail_msg("%s: name \"%s\", want \"%s\"", label,
			    info.name, name);
	} else {
		if (rc != -1 || info.has_name)
			fail_msg("%s: name \"%s\" taken, want none (%s)",
			    label, info.name, why);
		if (strncmp(reason, why, strlen(why)) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", label,
			    reason, why);
	}
	if (info.memory != memory)
		fail_msg("%s: memory %ld, want %ld", label, info.memory,
		    memory);
	if (info.vcpus != vcpus)
		fail_msg("%s: vcpus %ld, want %ld", label, info.vcpus, vcpus);
}

#define EXPECT(lit, name, why, mem, vcpus) \
	expect((lit), (lit), sizeof(lit) - 1, (name), (why), (mem), (vcpus))

static void
test_goldens(void **state)
{
	char	 path[256];
	char	*buf;
	size_t	 i, len;

	(void)state;
	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		snprintf(path, sizeof(path), DATADIR "%s", goldens[i].file);
		buf = slurp(path, &len);
		expect(goldens[i].file, buf, len, goldens[i].name,
		    goldens[i].why, goldens[i].memory, goldens[i].vcpus);
		free(buf);
	}
}

static void
test_inline_rules(void **state)
{
	(void)state;
	EXPECT("name=\"x1\"", "x1", NULL, -1, -1);
	EXPECT("name\t=\t'x2'\t\n", "x2", NULL, -1, -1);
	EXPECT("a=1;name=\"x3\";b=2", "x3", NULL, -1, -1);
	EXPECT(";;\n;name = \"x4\";;\n", "x4", NULL, -1, -1);
	/* A comment right after the value, and a CR inside a comment. */
	EXPECT("name = \"x5\"#c\r\n", "x5", NULL, -1, -1);
	EXPECT("# a\rb\nname = \"x6\"\n", "x6", NULL, -1, -1);
	/* A CR at the very end. */
	EXPECT("name = \"x7\"\r", "x7", NULL, -1, -1);
	/* A BOM only counts at the start. */
	EXPECT("name = \"x8\"\n\xef\xbb\xbfname = \"x9\"\n", "x8", NULL, -1,
	    -1);
	/* Keys: exact, lowercase, dots and underscores are other keys. */
	EXPECT("name = \"x10\"\nname2 = \"no\"\nname.x = \"no\"\n"
	    "name_x = \"no\"\nnames = \"no\"\n", "x10", NULL, -1, -1);
	EXPECT("nAme = \"no\"\n", NULL, "no name", -1, -1);
	/* A broken key that starts like name is not a name statement. */
	EXPECT("name = \"x11\"\nnameX = \"no\"\n", "x11", NULL, -1, -1);
	/* Statements with a broken name (last one decides). */
	EXPECT("name = \"ok\"\nname = \n", NULL,
	    "name is not a string literal", -1, -1);
	EXPECT("name = \"ok\"\nname\n", NULL, "name is not a string literal",
	    -1, -1);
	EXPECT("name = \"ok\"\nname = \"a\" # c\nname \"b\"\n", NULL,
	    "name is not a string literal", -1, -1);
	EXPECT("name = \"unterminated\n", NULL,
	    "name is not a string literal", -1, -1);
	EXPECT("name = 'x'y'\n", NULL, "name is not a string literal", -1,
	    -1);
	EXPECT("name = 0x1f\n", NULL, "name is not a string literal", -1, -1);
	EXPECT("name = []\n", NULL, "name is not a string literal", -1, -1);
	/* A good name after a broken one wins. */
	EXPECT("name = \"VM%d\" % 3\nname = \"fixed\"\n", "fixed", NULL, -1,
	    -1);
	/* Escaped quotes keep the string going; the name is refused. */
	EXPECT("name = \"a\\\"b\"\n", NULL, "invalid name: backslash", -1,
	    -1);
	EXPECT("extra = \"a\\\"b # c\" ; name = 'e1'\n", "e1", NULL, -1, -1);
	/* Backslash-newline does not continue a string. */
	EXPECT("extra = \"a\\\nname = \"e2\"\n", "e2", NULL, -1, -1);
	/* Strings protect '#', ';', '[' and ']'. */
	EXPECT("extra = \"#;[\" ; name = 'p1'\n", "p1", NULL, -1, -1);
	EXPECT("disk = [ ']', '[', \"#\" ] ; name = 'p2'\n", "p2", NULL, -1,
	    -1);
	/* Lists: empty, nested, trailing comma, newlines everywhere. */
	EXPECT("a = [\n]\nname = 'l1'\n", "l1", NULL, -1, -1);
	EXPECT("a = [[[]],[1,2,],'x',]\nname = 'l2'\n", "l2", NULL, -1, -1);
	EXPECT("a = [\n\n1\n\n,\n\n2\n,\n]\nname = 'l3'\n", "l3", NULL, -1,
	    -1);
	EXPECT("a = [ # c\n 1, # c\n # c\n ] # c\nname = 'l4'\n", "l4",
	    NULL, -1, -1);
	/* Broken lists: the statement goes, the next line counts. */
	EXPECT("a = [,]\nname = 'l5'\n", "l5", NULL, -1, -1);
	EXPECT("a = [1 2]\nname = 'l6'\n", "l6", NULL, -1, -1);
	EXPECT("a = [1,,2]\nname = 'l7'\n", "l7", NULL, -1, -1);
	EXPECT("a = [1;2]\nname = 'l8'\n", "l8", NULL, -1, -1);
	EXPECT("a = [1, [\n2 3],\n name = 'no'\n]\nname = 'l9'\n", "l9",
	    NULL, -1, -1);
	EXPECT("a = ]\nname = 'l10'\n", "l10", NULL, -1, -1);
	EXPECT("a = ]]]] [[\n ]] x\nname = 'l11'\n", "l11", NULL, -1, -1);
	/* Junk brackets outside a list do not swallow the next lines. */
	EXPECT("a = x[\nname = 'h1'\n", "h1", NULL, -1, -1);
	EXPECT("[[[ (\nname = 'h2'\n", "h2", NULL, -1, -1);
	/* Inside a list they do count, up to the list's end. */
	EXPECT("a = [ 1, x [\n 2 ]\n name='no' ]\nname = 'h3'\n", "h3",
	    NULL, -1, -1);
	/* A list in a name statement is no name, even a list of one. */
	EXPECT("name = ['x',]\n", NULL, "name is not a string literal", -1,
	    -1);
	/* Statements that are not assignments. */
	EXPECT("\"x\"\n= 1\n[1]\n,\n]\n123\nname = 's1'\n", "s1", NULL, -1,
	    -1);
	/* A lone CR is not a line end. */
	EXPECT("junk \r name = 'no'\nname2 = 1\n", NULL, "no name", -1, -1);
}

static void
test_numbers(void **state)
{
	(void)state;
	EXPECT("memory = 256\nvcpus = 4\n", NULL, "no name", 256, 4);
	EXPECT("memory = '256'\nvcpus = \"4\"\n", NULL, "no name", 256, 4);
	EXPECT("memory = 0\nvcpus = 0x0\n", NULL, "no name", 0, 0);
	EXPECT("memory = 0x1F4\n", NULL, "no name", -1, -1);
	EXPECT("memory = '0x1F4'\n", NULL, "no name", 500, -1);
	EXPECT("memory = 0777\n", NULL, "no name", 511, -1);
	EXPECT("memory = 08\n", NULL, "no name", -1, -1);
	EXPECT("memory = 0x\n", NULL, "no name", -1, -1);
	EXPECT("memory = '0x'\n", NULL, "no name", -1, -1);
	EXPECT("memory = ''\n", NULL, "no name", -1, -1);
	EXPECT("memory = ' 256'\n", NULL, "no name", -1, -1);
	EXPECT("memory = '-1'\n", NULL, "no name", -1, -1);
	EXPECT("memory = -1\n", NULL, "no name", -1, -1);
	EXPECT("memory = 256M\n", NULL, "no name", -1, -1);
	EXPECT("memory = 2.5\n", NULL, "no name", -1, -1);
	EXPECT("memory = '25\\x36'\n", NULL, "no name", -1, -1);
	EXPECT("memory = 9223372036854775807\n", NULL, "no name",
	    9223372036854775807L, -1);
	EXPECT("memory = 9223372036854775808\n", NULL, "no name", -1, -1);
	EXPECT("memory = 99999999999999999999999999999\n", NULL, "no name",
	    -1, -1);
	EXPECT("memory = 0x7fffffffffffffff\n", NULL, "no name",
	    9223372036854775807L, -1);
	EXPECT("memory = 0x8000000000000000\n", NULL, "no name", -1, -1);
	/* The last statement decides, as in xl. */
	EXPECT("memory = 256\nmemory = 512\n", NULL, "no name", 512, -1);
	EXPECT("memory = 256\nmemory = 'big'\n", NULL, "no name", -1, -1);
	EXPECT("memory = 256\nmemory += 1\n", NULL, "no name", -1, -1);
	EXPECT("memory = 256\nmemory = 1 2\n", NULL, "no name", -1, -1);
	EXPECT("memory = 'big'\nmemory = 256\n", NULL, "no name", 256, -1);
	/* maxmem and maxvcpus are other keys. */
	EXPECT("maxmem = 1024\nmaxvcpus = 8\n", NULL, "no name", -1, -1);
}

static void
test_name_valid(void **state)
{
	char	buf[ARGO_MAX_NAME + 2];

	(void)state;
	assert_true(xencfg_name_valid("web1", 4));
	assert_true(xencfg_name_valid("a", 1));
	assert_true(xencfg_name_valid("A-Za-z0-9_.:+-", 14));
	assert_true(xencfg_name_valid("1a", 2));
	assert_true(xencfg_name_valid("a1", 2));
	assert_true(xencfg_name_valid("...", 3));
	assert_true(xencfg_name_valid(".hidden", 7));
	assert_true(xencfg_name_valid("+x", 2));
	assert_true(xencfg_name_valid(":x", 2));
	assert_true(xencfg_name_valid("0x1f", 4));
	assert_true(xencfg_name_valid("1.2", 3));
	assert_false(xencfg_name_valid("", 0));
	assert_false(xencfg_name_valid(NULL, 0));
	assert_false(xencfg_name_valid("-x", 2));
	assert_false(xencfg_name_valid("-", 1));
	assert_false(xencfg_name_valid("1", 1));
	assert_false(xencfg_name_valid("0123456789", 10));
	assert_false(xencfg_name_valid(".", 1));
	assert_false(xencfg_name_valid("..", 2));
	assert_false(xencfg_name_valid("a b", 3));
	assert_false(xencfg_name_valid("a/b", 3));
	assert_false(xencfg_name_valid("a\\b", 3));
	assert_false(xencfg_name_valid("a;b", 3));
	assert_false(xencfg_name_valid("$(x)", 4));
	assert_false(xencfg_name_valid("a\tb", 3));
	assert_false(xencfg_name_valid("a\nb", 3));
	assert_false(xencfg_name_valid("caf\xc3\xa9", 5));
	assert_false(xencfg_name_valid("a\0b", 3));
	assert_false(xencfg_name_valid("a*", 2));
	assert_false(xencfg_name_valid("a=b", 3));
	assert_false(xencfg_name_valid("a,b", 3));
	/* The length counts, not the NUL. */
	assert_true(xencfg_name_valid("abc", 2));
	memset(buf, 'n', sizeof(buf));
	assert_true(xencfg_name_valid(buf, ARGO_MAX_NAME));
	assert_false(xencfg_name_valid(buf, ARGO_MAX_NAME + 1));
}

static void
test_why_buffer(void **state)
{
	struct xencfg_info	info;
	char			why[8];

	(void)state;
	/* A short buffer is truncated, never overrun; NULL is allowed. */
	assert_int_equal(xencfg_parse("x", 1, &info, why, sizeof(why)), -1);
	assert_string_equal(why, "no name");
	assert_int_equal(xencfg_parse("x", 1, &info, why, 4), -1);
	assert_string_equal(why, "no ");
	assert_int_equal(xencfg_parse("x", 1, &info, NULL, 0), -1);
	assert_int_equal(xencfg_parse(NULL, 0, &info, why, sizeof(why)), -1);
	assert_int_equal(xencfg_parse("name='ok'", 9, &info, NULL, 0), 0);
	assert_string_equal(info.name, "ok");
	/* The length is honoured: bytes past it are not read. */
	assert_int_equal(xencfg_parse("name='ok'name='no'", 9, &info, NULL,
	    0), 0);
	assert_string_equal(info.name, "ok");
	assert_int_equal(xencfg_parse("name='ok'", 8, &info, NULL, 0), -1);
}

/* A big file is read in linear time and still gives the right answer. */
static void
test_big(void **state)
{
	const size_t	 size = 4 << 20;
	char		*buf;
	size_t		 n = 0;
	clock_t		 t0;
	static const char	line[] =
	    "  'phy:/dev/vg0/disk,xvda,w', # a comment ] [ \" '\n";
	static const char	tail[] = "]\nname = \"big\"\nmemory = 2048\n";

	(void)state;
	buf = malloc(size);
	assert_non_null(buf);
	n += (size_t)snprintf(buf, size, "disk = [\n");
	while (n + sizeof(line) + sizeof(tail) < size) {
		memcpy(buf + n, line, sizeof(line) - 1);
		n += sizeof(line) - 1;
	}
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	t0 = clock();
	expect("4 MB list", buf, n, "big", NULL, 2048, -1);
	/* Generous: it takes a few ms, even under ASan. */
	assert_true(clock() - t0 < 5 * CLOCKS_PER_SEC);

	/* One 4 MB line of junk, then the name. */
	memset(buf, '%', size);
	memcpy(buf + size - 12, "\nname='j1'\n", 11);
	expect("junk line", buf, size - 1, "j1", NULL, -1, -1);
	/* Endless '[' at top level: skipped to the line end. */
	memset(buf, '[', size);
	memcpy(buf + size - 12, "\nname='j2'\n", 11);
	expect("open brackets", buf, size - 1, "j2", NULL, -1, -1);
	free(buf);
}

static void
test_depth(void **state)
{
	char	buf[512];
	size_t	n, i;

	(void)state;
	/* 64 levels of lists are fine, 65 are refused. */
	n = (size_t)snprintf(buf, sizeof(buf), "a = ");
	for (i = 0; i < 64; i++)
		buf[n++] = '[';
	for (i = 0; i < 64; i++)
		buf[n++] = ']';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\nmemory = 7\n");
	expect("depth 64", buf, n, NULL, "no name", 7, -1);

	n = (size_t)snprintf(buf, sizeof(buf), "memory = ");
	for (i = 0; i < 65; i++)
		buf[n++] = '[';
	for (i = 0; i < 65; i++)
		buf[n++] = ']';
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\nname = 'd'\n");
	expect("depth 65", buf, n, "d", NULL, -1, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_goldens),
		cmocka_unit_test(test_inline_rules),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_why_buffer),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests_name("xencfg", tests, NULL, NULL);
}
