/*
 * hostspec.c: host specs and host files.  Everything is checked here,
 * before any connection: a host that does not parse is bad use (exit 64),
 * not a host that could not be reached.
 *
 * Besides TCP hosts, `unix:PATH` is a local socket and
 * `ssh://[USER@]HOST[:PORT]` a host reached through ssh (DESIGN.md 8).
 *
 * A name follows RFC 1123 (letters, digits, `-`, labels of 1 to 63 bytes
 * separated by dots) plus `_`, which some sites use; it may not start with
 * `-`, so that it can never pass for an option.  All digits and dots is an
 * IPv4 address or nothing: getaddrinfo() would read "10.1" as 10.0.0.1,
 * which nobody writing a host list means.  The same host twice (same name
 * or address, same port) is asked once.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostspec.h"
#include "xutil.h"

static int
valid_port(const char *s, size_t len, char *out)
{
	char	buf[8];
	long	v;

	if (len == 0 || len >= sizeof(buf))
		return (-1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (util_parse_long(buf, 1, 65535, &v) == -1)
		return (-1);
	(void)snprintf(out, 6, "%ld", v);
	return (0);
}

static int
valid_v6(const char *s)
{
	struct addrinfo	 hints, *res;

	/* getaddrinfo, not inet_pton: it takes a scope (fe80::1%eth0). */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(s, NULL, &hints, &res) != 0)
		return (0);
	freeaddrinfo(res);
	return (1);
}

static int
valid_name(const char *s, size_t len, int *numeric)
{
	char	 buf[ARGO_CLIENT_MAX_SPEC + 1];
	size_t	 i, label = 0;
	int	 digits_dots = 1;
	struct in_addr a;

	if (len == 0 || len > ARGO_CLIENT_MAX_SPEC)
		return (0);
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
			digits_dots = 0;
	if (digits_dots) {
		*numeric = 1;
		return (inet_pton(AF_INET, buf, &a) == 1);
	}
	*numeric = 0;
	if (s[0] == '-' || s[0] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		char	c = s[i];

		if (c == '.') {
			/* An empty label; a single trailing dot is fine. */
			if (label == 0)
				return (0);
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return (0);
		if (++label > 63)
			return (0);
	}
	return (1);
}

/* unix:PATH: any path a sockaddr_un can hold. */
static int
parse_unix(const char *spec, struct host *h, char *err, size_t errlen)
{
	const char	*path = spec + 5;
	size_t		 len = strlen(path);

	if (len == 0 || len >= ARGO_CLIENT_MAX_UNIX) {
		(void)snprintf(err, errlen, "%s: unix:PATH needs a path of 1 to "
		    "%d bytes", spec, ARGO_CLIENT_MAX_UNIX - 1);
		return (-1);
	}
	h->h_spec = xstrdup(spec);
	h->h_name = xstrdup(path);
	h->h_kind = HOST_UNIX;
	return (0);
}

/* A login name for ssh: what useradd takes; never an option. */
static int
valid_user(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > 32 || s[0] == '-')
		return (0);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '-' || s[i] == '.'))
			return (0);
	return (1);
}

/*
 * ssh://[USER@]HOST[:PORT]: HOST as for TCP (a name never starts with
 * `-`, so ssh cannot take it for an option), no path after it.
 */
static int
parse_ssh(const char *spec, struct host *h, char *err, size_t errlen)
{
	const char	*rest = spec + 6, *at;
	struct host	 t;
	char		 sub[ARGO_CLIENT_MAX_SPEC + 1];

	if ((at = strchr(rest, '@')) != NULL) {
		if (!valid_user(rest, (size_t)(at - rest)))
			goto bad;
		rest = at + 1;
	}
	if (*rest == '\0' || strchr(rest, '/') != NULL ||
	    strchr(rest, '@') != NULL)
		goto bad;
	util_strlcpy(sub, rest, sizeof(sub));
	if (host_parse(sub, "", &t, err, errlen) == -1)
		return (-1);
	if (t.h_kind != HOST_TCP) {
		host_free(&t);
		goto bad;
	}
	free(t.h_spec);
	h->h_spec = xstrdup(spec);
	h->h_name = t.h_name;
	memcpy(h->h_port, t.h_port, sizeof(h->h_port));
	h->h_numeric = t.h_numeric;
	h->h_kind = HOST_SSH;
	if (at != NULL) {
		h->h_user = xmalloc((size_t)(at - (spec + 6)) + 1);
		memcpy(h->h_user, spec + 6, (size_t)(at - (spec + 6)));
		h->h_user[at - (spec + 6)] = '\0';
	}
	return (0);
bad:
	(void)snprintf(err, errlen, "%s: not ssh://[USER@]HOST[:PORT]", spec);
	return (-1);
}

int
host_parse(const char *spec, const char *defport, struct host *h,
    char *err, size_t errlen)
{
	const char	*name, *colon, *port = NULL, *end;
	size_t		 len = strlen(spec), nlen;
	char		 v6[ARGO_CLIENT_MAX_SPEC + 1];
	int		 numeric = 0;

	memset(h, 0, sizeof(*h));
	if (len == 0) {
		(void)snprintf(err, errlen, "empty host name");
		return (-1);
	}
	if (len > ARGO_CLIENT_MAX_SPEC) {
		(void)snprintf(err, errlen, "host name longer than %d bytes",
		    ARGO_CLIENT_MAX_SPEC);
		return (-1);
	}
	if (strncmp(spec, "unix:", 5) == 0)
		return (parse_unix(spec, h, err, errlen));
	if (strncmp(spec, "ssh://", 6) == 0)
		return (parse_ssh(spec, h, err, errlen));
	if (spec[0] == '[') {
		/* [v6] or [v6]:port */
		if ((end = strchr(spec, ']')) == NULL)
			goto bad;
		name = spec + 1;
		nlen = (size_t)(end - name);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		memcpy(v6, name, nlen);
		v6[nlen] = '\0';
		if (nlen == 0 || strchr(v6, ':') == NULL || !valid_v6(v6))
			goto bad;
		numeric = 1;
	} else if ((colon = strchr(spec, ':')) != NULL &&
	    strchr(colon + 1, ':') != NULL) {
		/* Two colons or more: a bare IPv6 address, no port. */
		if (!valid_v6(spec))
			goto bad;
		name = spec;
		nlen = len;
		numeric = 1;
	} else {
		name = spec;
		nlen = colon != NULL ? (size_t)(colon - spec) : len;
		if (colon != NULL)
			port = colon + 1;
		if (!valid_name(name, nlen, &numeric))
			goto bad;
	}
	if (port != NULL) {
		if (valid_port(port, strlen(port), h->h_port) == -1) {
			(void)snprintf(err, errlen, "%s: bad port (1-65535)",
			    spec);
			return (-1);
		}
	} else
		util_strlcpy(h->h_port, defport, sizeof(h->h_port));
	h->h_spec = xstrdup(spec);
	h->h_name = xmalloc(nlen + 1);
	memcpy(h->h_name, name, nlen);
	h->h_name[nlen] = '\0';
	h->h_numeric = numeric;
	return (0);
bad:
	(void)snprintf(err, errlen, "%s: not a host name, address, "
	    "name:port or [v6]:port", spec);
	return (-1);
}

void
host_free(struct host *h)
{
	free(h->h_spec);
	free(h->h_name);
	free(h->h_user);
	memset(h, 0, sizeof(*h));
}

static int
same_host(const struct host *a, const struct host *b)
{
	if (a->h_kind != b->h_kind)
		return (0);
	if (a->h_kind == HOST_UNIX)
		return (strcmp(a->h_name, b->h_name) == 0);
	return (strcmp(a->h_port, b->h_port) == 0 &&
	    strcasecmp(a->h_name, b->h_name) == 0 &&
	    (a->h_user == NULL) == (b->h_user == NULL) &&
	    (a->h_user == NULL || strcmp(a->h_user, b->h_user) == 0));
}

/* Parse spec and append it, unless it is already there. */
static int
add_one(struct hostlist *hl, const char *spec, const char *defport,
    char *err, size_t errlen)
{
	struct host	h;
	size_t		i;

	if (host_parse(spec, defport, &h, err, errlen) == -1)
		return (-1);
	/* Quadratic, but bounded and only at start-up: 65536^2 is not met. */
	for (i = 0; i < hl->hl_n; i++)
		if (same_host(&hl->hl_hosts[i], &h)) {
			host_free(&h);
			return (0);
		}
	if (hl->hl_n >= ARGO_CLIENT_MAX_HOSTS) {
		host_free(&h);
		(void)snprintf(err, errlen, "more than %d hosts",
		    ARGO_CLIENT_MAX_HOSTS);
		return (-1);
	}
	if (hl->hl_n == hl->hl_cap) {
		hl->hl_cap = hl->hl_cap ? hl->hl_cap * 2 : 16;
		hl->hl_hosts = xrealloc(hl->hl_hosts,
		    hl->hl_cap * sizeof(*hl->hl_hosts));
	}
	hl->hl_hosts[hl->hl_n++] = h;
	return (0);
}

int
hosts_add_list(struct hostlist *hl, const char *list, const char *defport,
    char *err, size_t errlen)
{
	char		 spec[ARGO_CLIENT_MAX_SPEC + 2];
	const char	*p = list, *comma;
	size_t		 n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (n > ARGO_CLIENT_MAX_SPEC)
			n = ARGO_CLIENT_MAX_SPEC + 1;	/* refused below */
		memcpy(spec, p, n);
		spec[n] = '\0';
		if (add_one(hl, spec, defport, err, errlen) == -1)
			return (-1);
		if (comma == NULL)
			return (0);
		p = comma + 1;
	}
}

int
hosts_add_file(struct hostlist *hl, const char *path, const char *defport,
    char *err, size_t errlen)
{
	char		 line[ARGO_MAX_LINE + 2], e[ARGO_CLIENT_ERR];
	const char	*label = strcmp(path, "-") == 0 ? "(stdin)" : path;
	FILE		*f;
	size_t		 n, lineno = 0;
	char		*p, *q;
	int		 rc = 0;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "re")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f)) {
			(void)snprintf(err, errlen, "%s:%zu: line longer than "
			    "%d bytes", label, lineno, ARGO_MAX_LINE);
			rc = -1;
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		q = p + strlen(p);
		while (q > p && (q[-1] == ' ' || q[-1] == '\t' ||
		    q[-1] == '\r'))
			*--q = '\0';
		if (*p == '\0')
			continue;
		if (add_one(hl, p, defport, e, sizeof(e)) == -1) {
			(void)snprintf(err, errlen, "%s:%zu: %s", label, lineno,
			    e);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		(void)snprintf(err, errlen, "%s: read error", label);
		rc = -1;
	}
	if (f != stdin)
		(void)fclose(f);
	return (rc);
}

void
hosts_free(struct hostlist *hl)
{
	size_t	i;

	for (i = 0; i < hl->hl_n; i++)
		host_free(&hl->hl_hosts[i]);
	free(hl->hl_hosts);
	memset(hl, 0, sizeof(*hl));
}
