/*
 * out.c: prefixing, ordering and holding replies.
 *
 * A reply held back (several hosts, or -o and an earlier host not done)
 * is kept formatted, prefix included, at most ARGO_CLIENT_MAX_REPLY bytes
 * a host.  Server text is shown with control characters (but TAB) as `?`,
 * C1 and the bidi overrides included (argo_safe_text): the server already
 * sends C0 so, and a client has no reason to trust that what answers on a
 * port is a well-behaved server, with a terminal at the other end, nor to
 * let one host's line reorder another's prefix.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "xutil.h"

struct slot {
	char	*s_buf;
	size_t	 s_len;
	size_t	 s_cap;
	char	*s_err;		/* the host's error, not yet printed */
	int	 s_done;
};

static const struct host	*out_hosts;
static struct slot		*out_slots;
static size_t			 out_n;
static size_t			 out_head;	/* -o: the first not printed */
static int			 out_ordered;

void
out_init(const struct host *hosts, size_t n, int ordered)
{
	out_hosts = hosts;
	out_n = n;
	out_ordered = ordered;
	out_head = 0;
	out_slots = xmalloc(n * sizeof(*out_slots));
	memset(out_slots, 0, n * sizeof(*out_slots));
}

/* Printed as it comes, or held? */
static int
live(size_t i)
{
	return (out_n == 1 || (out_ordered && i == out_head));
}

/* A NUL-terminated message made safe in place. */
static void
sanitize(char *p)
{
	p[argo_safe_text(p, p, strlen(p))] = '\0';
}

static int
hold(struct slot *s, const char *p, size_t len)
{
	if (s->s_len + len > ARGO_CLIENT_MAX_REPLY)
		return (-1);
	if (s->s_len + len > s->s_cap) {
		size_t	cap = s->s_cap ? s->s_cap : 4096;

		while (cap < s->s_len + len)
			cap *= 2;
		s->s_buf = xrealloc(s->s_buf, cap);
		s->s_cap = cap;
	}
	memcpy(s->s_buf + s->s_len, p, len);
	s->s_len += len;
	return (0);
}

int
out_body(size_t i, const char *line, size_t len)
{
	struct slot	*s = &out_slots[i];
	const char	*spec = out_hosts[i].h_spec;
	size_t		 start, n;
	char		*safe;

	if (live(i)) {
		if (out_n > 1)
			(void)fprintf(stdout, "%s: ", spec);
		safe = xmalloc(len + 1);
		n = argo_safe_text(safe, line, len);
		(void)fwrite(safe, 1, n, stdout);
		free(safe);
		(void)fputc('\n', stdout);
		return (0);
	}
	start = s->s_len;
	if (hold(s, spec, strlen(spec)) == -1 || hold(s, ": ", 2) == -1 ||
	    hold(s, line, len) == -1 || hold(s, "\n", 1) == -1) {
		s->s_len = start;
		return (-1);
	}
	/* Filtered in place (it only shrinks), the line end put back. */
	s->s_len = start + argo_safe_text(s->s_buf + start, s->s_buf + start,
	    s->s_len - start - 1);
	s->s_buf[s->s_len++] = '\n';
	return (0);
}

static void
print_error(size_t i, const char *msg)
{
	(void)fflush(stdout);
	(void)fprintf(stderr, "%s: %s\n", out_hosts[i].h_spec, msg);
}

void
out_error(size_t i, const char *fmt, ...)
{
	struct slot	*s = &out_slots[i];
	char		 buf[ARGO_CLIENT_ERR + 64];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sanitize(buf);
	if (live(i)) {
		print_error(i, buf);
		return;
	}
	if (s->s_err == NULL)
		s->s_err = xstrdup(buf);
}

/* Print what host i holds, and let go of it. */
static void
release(size_t i)
{
	struct slot	*s = &out_slots[i];

	if (s->s_len > 0)
		(void)fwrite(s->s_buf, 1, s->s_len, stdout);
	free(s->s_buf);
	s->s_buf = NULL;
	s->s_len = s->s_cap = 0;
	if (s->s_err != NULL)
		print_error(i, s->s_err);
	free(s->s_err);
	s->s_err = NULL;
}

void
out_done(size_t i)
{
	out_slots[i].s_done = 1;
	if (!out_ordered) {
		release(i);
		(void)fflush(stdout);
		return;
	}
	while (out_head < out_n && out_slots[out_head].s_done)
		release(out_head++);
	/* The new head prints from now on: first what it holds. */
	if (out_head < out_n)
		release(out_head);
	(void)fflush(stdout);
}

int
out_finish(void)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < out_n; i++) {
		free(out_slots[i].s_buf);
		free(out_slots[i].s_err);
	}
	free(out_slots);
	out_slots = NULL;
	if (fflush(stdout) == EOF || ferror(stdout))
		rc = -1;
	return (rc);
}
