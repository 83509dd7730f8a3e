/*
 * cmd_info.c: `info`, in the worker: the host's facts from the broker's
 * `TOOL info` (xl and xm print "key<blanks>: value" lines), in the order
 * DESIGN.md gives, and the number of running instances this account sees
 * from `TOOL list`.  xm has no xen_version line: it is made from
 * xen_major, xen_minor and xen_extra, as xl makes its own.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "domlist.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"

#define INFO_VALUE	128

static const char *const keys[] = {
	"host", "release", "xen_version", "nr_cpus", "total_memory",
	"free_memory",
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

/* The value of key in text (the first line naming it), or "". */
static void
value(const char *text, size_t len, const char *key, char *out, size_t cap)
{
	const char	*p = text, *e = text + len, *nl, *v;
	size_t		 klen = strlen(key), n;

	out[0] = '\0';
	for (; p < e; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		if ((size_t)(nl - p) <= klen || memcmp(p, key, klen) != 0 ||
		    (p[klen] != ' ' && p[klen] != '\t' && p[klen] != ':'))
			continue;
		for (v = p + klen; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		if (v == nl || *v != ':')
			continue;
		for (v++; v < nl && (*v == ' ' || *v == '\t'); v++)
			;
		n = (size_t)(nl - v);
		while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\r' ||
		    v[n - 1] == '\t'))
			n--;
		if (n >= cap)
			n = cap - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		return;
	}
}

static int
all_digits(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return (0);
	return (1);
}

/* Running domains this account sees; -1 with the 400 reply queued. */
static long
running(struct session *s)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	struct domlist		 dl;
	size_t			 i;
	long			 n = 0;

	privmsg_req_init(&rq, PRIV_LIST);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return (-1);
	}
	if (domlist_parse(ask_payload(rep), rep->p_outlen, &dl) == -1) {
		session_error(s, "TOOLSTACK FAILED: unexpected output from "
		    "list");
		return (-1);
	}
	for (i = 0; i < dl.d_n; i++)
		if (dl.d_v[i].id > 0 && strcmp(dl.d_v[i].name, "Domain-0") != 0 &&
		    config_user_sees(s->s_user, dl.d_v[i].name))
			n++;
	domlist_free(&dl);
	return (n);
}

void
cmd_info(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	static char		 text[PRIV_OUT_MAX];
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	char			 v[NKEYS][INFO_VALUE], a[INFO_VALUE],
				 b[INFO_VALUE], x[INFO_VALUE];
	size_t			 i, len;
	long			 n;

	(void)c;
	(void)argv;
	(void)inst;
	privmsg_req_init(&rq, PRIV_INFO);
	if ((rep = ask(&rq, NULL)) == NULL || rep->p_status != PRIV_OK) {
		session_fail(s, rep);
		return;
	}
	/* The next request reuses the reply buffer. */
	len = rep->p_outlen;
	memcpy(text, ask_payload(rep), len);
	for (i = 0; i < NKEYS; i++)
		value(text, len, keys[i], v[i], sizeof(v[i]));
	if (v[2][0] == '\0') {
		value(text, len, "xen_major", a, sizeof(a));
		value(text, len, "xen_minor", b, sizeof(b));
		value(text, len, "xen_extra", x, sizeof(x));
		if (a[0] != '\0' && b[0] != '\0')
			(void)snprintf(v[2], sizeof(v[2]), "%.40s.%.40s%.40s",
			    a, b, x);
	}
	if ((n = running(s)) == -1)
		return;
	session_ok(s);
	for (i = 0; i < NKEYS; i++) {
		/* The counts and sizes must be the integers they claim. */
		if (i >= 3 && !all_digits(v[i]))
			util_strlcpy(v[i], "", sizeof(v[i]));
		session_bodyf(s, "%s: %s", keys[i], v[i][0] ? v[i] : "-");
	}
	session_bodyf(s, "instances_running: %ld", n);
	session_done(s);
}
