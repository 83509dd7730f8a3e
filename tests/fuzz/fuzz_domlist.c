/*
 * fuzz_domlist.c: parsing `xl list` / `xm list` output.
 *
 * Whatever the toolstack prints, domlist_parse() must return, and what it
 * accepts must make sense: names non-empty, trimmed, one line; states from
 * the contract's set; an inactive row (id -1) exactly when the state is
 * "stopped".  An accepted list is then printed again in xl's format (xm's
 * for inactive rows) and parsed again: the result must be the same, which
 * checks the right-to-left split on the fuzzer's own names.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domlist.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static const char *
letters(const char *word)
{
	static const struct {
		const char	*word;
		const char	*letters;
	} map[] = {
		{ "running", "r-----" }, { "blocked", "-b----" },
		{ "paused", "--p---" }, { "shutdown", "---s--" },
		{ "crashed", "---sc-" }, { "dying", "-----d" },
	};
	size_t	i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(word, map[i].word) == 0)
			return map[i].letters;
	return NULL;
}

static void
check_domain(const struct domain *d)
{
	size_t	len;

	CHECK(d->name != NULL);
	len = strlen(d->name);
	CHECK(len > 0);
	CHECK(strchr(d->name, '\n') == NULL);
	CHECK(d->name[0] != ' ' && d->name[0] != '\t' && d->name[0] != '\r');
	CHECK(d->name[len - 1] != ' ' && d->name[len - 1] != '\t' &&
	    d->name[len - 1] != '\r');
	CHECK(d->mem >= 0 && d->vcpus >= 0 && d->cpu >= 0);
	CHECK(d->state != NULL);
	if (d->id == -1)
		CHECK(strcmp(d->state, "stopped") == 0);
	else {
		CHECK(d->id >= 0);
		CHECK(letters(d->state) != NULL);
		CHECK(strcmp(domlist_state(letters(d->state)), d->state) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct domlist	 dl, dl2;
	char		*buf;
	size_t		 i, cap, n;

	if (domlist_parse((const char *)data, size, &dl) != 0) {
		CHECK(dl.d_v == NULL && dl.d_n == 0);
		return 0;
	}
	cap = 128;
	for (i = 0; i < dl.d_n; i++) {
		check_domain(&dl.d_v[i]);
		cap += strlen(dl.d_v[i].name) + 160;
	}

	buf = malloc(cap);
	CHECK(buf != NULL);
	n = (size_t)snprintf(buf, cap, "Name                                 "
	    "       ID   Mem VCPUs\tState\tTime(s)\n");
	for (i = 0; i < dl.d_n; i++) {
		const struct domain *d = &dl.d_v[i];

		if (d->id == -1)
			n += (size_t)snprintf(buf + n, cap - n,
			    "%-40s %5s %5ld %5ld %10s %8.1f\n", d->name, "",
			    d->mem, d->vcpus, "", 0.0);
		else
			n += (size_t)snprintf(buf + n, cap - n,
			    "%-40s %5ld %5ld %5ld     %s  %8.1f\n", d->name,
			    d->id, d->mem, d->vcpus, letters(d->state), 0.0);
		CHECK(n < cap);
	}
	CHECK(domlist_parse(buf, n, &dl2) == 0);
	CHECK(dl2.d_n == dl.d_n);
	for (i = 0; i < dl.d_n; i++) {
		CHECK(strcmp(dl2.d_v[i].name, dl.d_v[i].name) == 0);
		CHECK(dl2.d_v[i].id == dl.d_v[i].id);
		CHECK(dl2.d_v[i].mem == dl.d_v[i].mem);
		CHECK(dl2.d_v[i].vcpus == dl.d_v[i].vcpus);
		CHECK(strcmp(dl2.d_v[i].state, dl.d_v[i].state) == 0);
	}
	domlist_free(&dl2);
	domlist_free(&dl);
	free(buf);
	return 0;
}
