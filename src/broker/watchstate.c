/*
 * watchstate.c: what `watch` reports (watchstate.h).  Runs in the broker,
 * on the toolstack's `list` as domlist.c parsed it and the broker's own
 * scan of xen_dir; nothing here keeps state between calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strutil.h"
#include "util.h"
#include "watchstate.h"

void
wstate_stamp(char *buf)
{
	struct tm	tm;
	time_t		t = time(NULL);

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, WATCH_STAMP_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		util_strlcpy(buf, "1970-01-01T00:00:00Z", WATCH_STAMP_LEN);
}

size_t
wstate_format(char *buf, const char *at, const struct wseen *s, int gone)
{
	char	id[24], mem[24], vcpus[24];
	int	n;

	(void)snprintf(id, sizeof(id), "%ld", s->s_id);
	(void)snprintf(mem, sizeof(mem), "%ld", s->s_mem);
	(void)snprintf(vcpus, sizeof(vcpus), "%ld", s->s_vcpus);
	n = snprintf(buf, WATCH_LINE_MAX, "%s %s state=%s id=%s mem=%s "
	    "vcpus=%s\n", at, s->s_name, gone ? "gone" : s->s_state,
	    gone || s->s_id < 0 ? "-" : id, gone || s->s_mem < 0 ? "-" : mem,
	    gone || s->s_vcpus < 0 ? "-" : vcpus);
	return (n > 0 && n < WATCH_LINE_MAX ? (size_t)n : 0);
}

/* A running domain, sorted and looked up by name. */
struct run {
	const struct domain	*r_d;
};

static int
by_name(const void *a, const void *b)
{
	const struct run	*x = a, *y = b;

	return (strcmp(x->r_d->name, y->r_d->name));
}

struct wseen *
wstate_look(const struct domlist *dl, const struct instances *map,
    size_t *np)
{
	const struct run	*hit;
	struct run		*run, key;
	struct domain		 probe;
	struct wseen		*v;
	size_t			 i, nrun = 0;

	/* The running domains by name: one lookup per instance. */
	run = util_xcalloc(dl->d_n + 1, sizeof(*run));
	for (i = 0; i < dl->d_n; i++)
		if (dl->d_v[i].id > 0 && strcmp(dl->d_v[i].name,
		    "Domain-0") != 0)
			run[nrun++].r_d = &dl->d_v[i];
	qsort(run, nrun, sizeof(*run), by_name);
	*np = map != NULL ? map->in_n : 0;
	v = util_xcalloc(*np + 1, sizeof(*v));
	for (i = 0; i < *np; i++) {
		const struct instance *in = &map->in_v[i];

		util_strlcpy(v[i].s_name, in->i_name, sizeof(v[i].s_name));
		memset(&probe, 0, sizeof(probe));
		probe.name = v[i].s_name;
		key.r_d = &probe;
		hit = bsearch(&key, run, nrun, sizeof(*run), by_name);
		if (hit != NULL) {
			util_strlcpy(v[i].s_state, hit->r_d->state,
			    sizeof(v[i].s_state));
			v[i].s_id = hit->r_d->id;
			v[i].s_mem = hit->r_d->mem;
			v[i].s_vcpus = hit->r_d->vcpus;
		} else {
			util_strlcpy(v[i].s_state, "stopped",
			    sizeof(v[i].s_state));
			v[i].s_id = -1;
			v[i].s_mem = in->i_memory;
			v[i].s_vcpus = in->i_vcpus;
		}
	}
	free(run);
	return (v);
}

static int
differs(const struct wseen *a, const struct wseen *b)
{
	return (strcmp(a->s_state, b->s_state) != 0 || a->s_id != b->s_id ||
	    a->s_mem != b->s_mem || a->s_vcpus != b->s_vcpus);
}

void
wstate_diff(const struct wseen *old, size_t nold, const struct wseen *new,
    size_t nnew, const char *at, void (*fn)(const char *, const char *,
    size_t, void *), void *arg)
{
	char	line[WATCH_LINE_MAX];
	size_t	i = 0, j = 0, n;
	int	c;

	/* Both are in the map's order: one merge. */
	while (i < nold || j < nnew) {
		c = i == nold ? 1 : j == nnew ? -1 :
		    strcmp(old[i].s_name, new[j].s_name);
		n = 0;
		if (c < 0)
			n = wstate_format(line, at, &old[i], 1);
		else if (c > 0 || differs(&old[i], &new[j]))
			n = wstate_format(line, at, &new[j], 0);
		if (n > 0)
			fn(c < 0 ? old[i].s_name : new[j].s_name, line, n,
			    arg);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
}
