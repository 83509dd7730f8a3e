/*
 * domlist.c: parsing the output of `xl list` and `xm list` (XEN-FACTS.md
 * section 1).
 *
 * Both tools print a header and then one row per domain with the name left
 * aligned in 40 columns, but a longer name pushes the other columns to the
 * right and xl accepts names with spaces, so columns are useless: every row
 * is split from the right into Time, State, VCPUs, Mem and ID, and what is
 * left, trimmed, is the name.  xm also lists inactive xend-managed domains
 * with an empty ID and State; such a row has only three fields after the
 * name, and the field before Time is then not a state column.
 *
 * The parser is strict: a row it cannot read makes the whole output "not a
 * list", because a silently dropped row would show a running domain as
 * stopped.  It keeps no state and does not log; the only allocation is the
 * result, which domlist_free() releases.  Work and memory are linear in the
 * size of the buffer, which the caller bounds (ARGO_MAX_TOOL_OUTPUT).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domlist.h"

static int	is_blank(char);
static int	last_field(const char *, const char **, const char **,
		    size_t *);
static int	parse_long(const char *, size_t, long *);
static int	parse_time(const char *, size_t, double *);
static int	parse_row(const char *, size_t, struct domain *);
static int	add_domain(struct domlist *, size_t *, struct domain *);

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Take the last blank-separated field off [start, *endp): on return the
 * field is [*fp, *fp + *flen) and *endp points at its first byte.
 * Returns 0, or -1 when nothing is left.
 */
static int
last_field(const char *start, const char **endp, const char **fp,
    size_t *flen)
{
	const char	*e = *endp, *f;

	while (e > start && is_blank(e[-1]))
		e--;
	if (e == start)
		return -1;
	for (f = e; f > start && !is_blank(f[-1]); f--)
		;
	*fp = f;
	*flen = (size_t)(e - f);
	*endp = f;
	return 0;
}

/* A non-negative decimal integer that fits in a long. */
static int
parse_long(const char *s, size_t len, long *vp)
{
	long	v = 0;
	size_t	i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (LONG_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*vp = v;
	return 0;
}

/*
 * CPU seconds as printed by "%8.1f": digits, optionally a point and more
 * digits.  Done by hand because strtod() follows the locale.
 */
static int
parse_time(const char *s, size_t len, double *vp)
{
	double	v = 0, scale = 1;
	size_t	i = 0;
	int	digits = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		v = v * 10 + (s[i] - '0');
	if (digits == 0)
		return -1;
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			scale /= 10;
			v += (s[i] - '0') * scale;
		}
	}
	if (i != len)
		return -1;
	*vp = v;
	return 0;
}

static int
parse_row(const char *line, size_t len, struct domain *d)
{
	const char	*end = line + len, *f, *name;
	size_t		 flen, nlen;
	char		 letters[7];

	memset(d, 0, sizeof(*d));
	if (last_field(line, &end, &f, &flen) != 0 ||
	    parse_time(f, flen, &d->cpu) != 0)
		return -1;
	if (last_field(line, &end, &f, &flen) != 0)
		return -1;
	d->state = NULL;
	if (flen == 6) {
		memcpy(letters, f, 6);
		letters[6] = '\0';
		d->state = domlist_state(letters);
	}
	if (d->state != NULL) {
		if (last_field(line, &end, &f, &flen) != 0 ||
		    parse_long(f, flen, &d->vcpus) != 0 ||
		    last_field(line, &end, &f, &flen) != 0 ||
		    parse_long(f, flen, &d->mem) != 0 ||
		    last_field(line, &end, &f, &flen) != 0 ||
		    parse_long(f, flen, &d->id) != 0)
			return -1;
	} else {
		/* xm's inactive managed domain: no ID, no State. */
		d->state = "stopped";
		d->id = -1;
		if (parse_long(f, flen, &d->vcpus) != 0 ||
		    last_field(line, &end, &f, &flen) != 0 ||
		    parse_long(f, flen, &d->mem) != 0)
			return -1;
	}
	for (name = line; name < end && is_blank(*name); name++)
		;
	while (end > name && is_blank(end[-1]))
		end--;
	if (name == end)
		return -1;
	nlen = (size_t)(end - name);
	if ((d->name = malloc(nlen + 1)) == NULL)
		return -1;
	memcpy(d->name, name, nlen);
	d->name[nlen] = '\0';
	return 0;
}

static int
add_domain(struct domlist *dl, size_t *cap, struct domain *d)
{
	struct domain	*v;
	size_t		 ncap;

	if (dl->d_n == *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if (ncap > SIZE_MAX / sizeof(*v))
			return -1;
		if ((v = realloc(dl->d_v, ncap * sizeof(*v))) == NULL)
			return -1;
		dl->d_v = v;
		*cap = ncap;
	}
	dl->d_v[dl->d_n++] = *d;
	return 0;
}

int
domlist_parse(const char *buf, size_t len, struct domlist *out)
{
	const char	*p, *end, *eol, *line;
	struct domain	 d;
	size_t		 linelen, i, cap = 0;
	int		 header = 0;

	out->d_v = NULL;
	out->d_n = 0;
	if (buf == NULL || len == 0)
		return -1;
	/* Rows become C strings: a NUL would cut a name short. */
	if (memchr(buf, '\0', len) != NULL)
		return -1;

	for (p = buf, end = buf + len; p < end; ) {
		line = p;
		eol = memchr(p, '\n', (size_t)(end - p));
		linelen = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
		p = eol != NULL ? eol + 1 : end;

		for (i = 0; i < linelen && is_blank(line[i]); i++)
			;
		if (i == linelen)
			continue;
		if (!header) {
			if (linelen < 4 || memcmp(line, "Name", 4) != 0 ||
			    memmem(line, linelen, "ID", 2) == NULL)
				goto fail;
			header = 1;
			continue;
		}
		if (parse_row(line, linelen, &d) != 0)
			goto fail;
		if (add_domain(out, &cap, &d) != 0) {
			free(d.name);
			goto fail;
		}
	}
	if (!header)
		goto fail;
	return 0;

fail:
	domlist_free(out);
	return -1;
}

void
domlist_free(struct domlist *dl)
{
	size_t	i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->d_n; i++)
		free(dl->d_v[i].name);
	free(dl->d_v);
	dl->d_v = NULL;
	dl->d_n = 0;
}

const char *
domlist_state(const char *s)
{
	static const char	reasons[] = "-rscwS";

	if (s == NULL || strnlen(s, 7) != 6)
		return NULL;
	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'b' && s[1] != '-') ||
	    (s[2] != 'p' && s[2] != '-') || (s[3] != 's' && s[3] != '-') ||
	    strchr(reasons, s[4]) == NULL || (s[5] != 'd' && s[5] != '-'))
		return NULL;
	/*
	 * Column 5 is xm's "crashed" flag and xl's shutdown reason, which
	 * is 'c' for a crash: either way 'c' means crashed (xm `----c-`, xl
	 * `---sc-`); another reason letter implies a shutdown.
	 */
	if (s[5] == 'd')
		return "dying";
	if (s[4] == 'c')
		return "crashed";
	if (s[3] == 's' || s[4] != '-')
		return "shutdown";
	if (s[2] == 'p')
		return "paused";
	if (s[0] == 'r')
		return "running";
	if (s[1] == 'b')
		return "blocked";
	return "running";
}
