/*
 * watchstate.h: what `watch` reports, computed without any process's
 * state, so that a unit test can feed it: each instance of the map as a
 * poll of the toolstack saw it, the lines that tell one poll from the
 * next, and their UTC time stamps.  The broker keeps the last poll's
 * (broker_watch.c).
 */
#ifndef ARGO_WATCHSTATE_H
#define ARGO_WATCHSTATE_H

#include <stddef.h>

#include "defs.h"
#include "domlist.h"
#include "instances.h"

#define WATCH_STAMP_LEN	21	/* 2026-12-05T23:10:46Z and NUL */
/* A line: stamp, name, four fields, or a failure's summary (256). */
#define WATCH_LINE_MAX	(WATCH_STAMP_LEN + ARGO_MAX_NAME + 320)

/* One instance as a poll saw it. */
struct wseen {
	char	 s_name[ARGO_MAX_NAME + 1];
	char	 s_state[12];		/* as in status, or "stopped" */
	long	 s_id, s_mem, s_vcpus;	/* -1: none, unknown */
};

/*
 * Every instance of map (which may be NULL: none), in its order (by
 * name), with the running domains of dl: state, id, mem and vcpus from
 * the toolstack; else "stopped", no id, the file's memory and vcpus.
 * Domain-0 and xm's inactive rows never run an instance.  *np gets the
 * count; free() the array.
 */
struct wseen	*wstate_look(const struct domlist *dl,
		    const struct instances *map, size_t *np);
/*
 * The lines from old to new (both by name): an instance that left
 * (state=gone), one that came, one whose state, id, mem or vcpus
 * changed; fn gets each with its instance's name, in name order.
 */
void	wstate_diff(const struct wseen *old, size_t nold,
	    const struct wseen *new, size_t nnew, const char *at,
	    void (*fn)(const char *name, const char *line, size_t len,
	    void *arg), void *arg);
/* s's line at time at, LF-ended, into buf (WATCH_LINE_MAX): its length,
 * 0 if it did not fit.  gone: as an instance that left. */
size_t	wstate_format(char *buf, const char *at, const struct wseen *s,
	    int gone);
/* The time now, as a line's stamp (WATCH_STAMP_LEN bytes). */
void	wstate_stamp(char *buf);

#endif
