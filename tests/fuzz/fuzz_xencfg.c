/*
 * fuzz_xencfg.c: the Xen config tokenizer and the name rule.
 *
 * Whatever the file holds, xencfg_parse() must return, and a name it takes
 * must pass the name rule (checked here independently of xencfg.c), must
 * appear literally in the file, and must not come from a file with a NUL.
 * The reason buffer is always a NUL-terminated string.  The input is also
 * tried as a name for xencfg_name_valid(), against the same independent
 * rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xencfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

/* DESIGN.md 3.1, written out again. */
static int
name_rule(const uint8_t *s, size_t len)
{
	size_t	i;
	int	digits = 1;

	if (len == 0 || len > ARGO_MAX_NAME || s[0] == '-')
		return 0;
	if ((len == 1 && s[0] == '.') ||
	    (len == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			continue;
		digits = 0;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || strchr("_.:+-", s[i]) !=
		    NULL) || s[i] == '\0')
			return 0;
	}
	return !digits;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xencfg_info	info, again;
	char			why[ARGO_ERR_LEN], why2[ARGO_ERR_LEN];
	size_t			nlen;
	int			rc;

	CHECK(xencfg_name_valid((const char *)data, size) ==
	    name_rule(data, size));

	memset(why, 'x', sizeof(why));
	rc = xencfg_parse((const char *)data, size, &info, why, sizeof(why));
	CHECK(memchr(why, '\0', sizeof(why)) != NULL);
	CHECK(rc == (info.has_name ? 0 : -1));
	CHECK(info.memory >= -1 && info.vcpus >= -1);
	if (info.has_name) {
		nlen = strnlen(info.name, sizeof(info.name));
		CHECK(nlen < sizeof(info.name));
		CHECK(name_rule((const uint8_t *)info.name, nlen));
		CHECK(memmem(data, size, info.name, nlen) != NULL);
		CHECK(memchr(data, '\0', size) == NULL);
	} else
		CHECK(why[0] != '\0');

	/* Deterministic, and the reason buffer size does not matter. */
	rc = xencfg_parse((const char *)data, size, &again, why2, 5);
	CHECK(rc == (info.has_name ? 0 : -1));
	CHECK(again.has_name == info.has_name);
	CHECK(!info.has_name || strcmp(again.name, info.name) == 0);
	CHECK(again.memory == info.memory && again.vcpus == info.vcpus);
	CHECK(strlen(why2) <= 4);
	CHECK(strncmp(why2, why, strlen(why2)) == 0);
	return 0;
}
