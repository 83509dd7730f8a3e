/*
 * config.c: argo-server.conf with inih.  The handler is driven by a key
 * table; the line reader around it counts lines (so every message carries
 * FILE:LINE), catches lines longer than inih's buffer, and sees section
 * headers, which inih never reports for an empty section.
 */
#include <sys/stat.h>

#include <crypt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <ini.h>

#include "config.h"
#include "util.h"
#include "xencfg.h"

#ifndef INI_MAX_LINE
#define INI_MAX_LINE	200
#endif

enum sect { S_NONE, S_SERVER, S_ALLOW, S_USER };

enum ktype { K_INT, K_BOOL, K_PATH, K_PATH_OR_EMPTY, K_LISTEN };

struct key {
	const char	*k_name;
	enum ktype	 k_type;
	size_t		 k_off;		/* into struct config */
	long		 k_min, k_max;
};

#define OFF(f)	offsetof(struct config, f)

/* [server]: one row per key; defaults are in config_defaults(). */
static const struct key server_keys[] = {
	{ "port",		K_INT,	OFF(c_port),		0, 65535 },
	{ "listen",		K_LISTEN, 0,			0, 0 },
	{ "workers",		K_INT,	OFF(c_workers),		1, ARGO_HARD_MAX_CLIENTS },
	{ "max_clients",	K_INT,	OFF(c_max_clients),	1, ARGO_HARD_MAX_CLIENTS },
	{ "max_per_host",	K_INT,	OFF(c_max_per_host),	1, ARGO_HARD_MAX_CLIENTS },
	{ "idle_timeout",	K_INT,	OFF(c_idle_timeout),	1, 86400 },
	{ "login_timeout",	K_INT,	OFF(c_login_timeout),	1, 3600 },
	{ "max_auth_tries",	K_INT,	OFF(c_max_auth_tries),	1, 100 },
	{ "xen_dir",		K_PATH,	OFF(c_xen_dir),		0, 0 },
	{ "toolstack",		K_PATH,	OFF(c_toolstack),	0, 0 },
	{ "toolstack_timeout",	K_INT,	OFF(c_toolstack_timeout), 1, 3600 },
	{ "pidfile",		K_PATH_OR_EMPTY, OFF(c_pidfile), 0, 0 },
	{ "anonymous_read",	K_BOOL,	OFF(c_anonymous_read),	0, 1 },
};
#define NSERVER_KEYS	(sizeof(server_keys) / sizeof(server_keys[0]))

struct parse {
	const char	*p_name;	/* file name for messages */
	struct config	*p_conf;
	/* the reader's side */
	FILE		*p_fp;		/* or: */
	const char	*p_text;
	size_t		 p_textlen;
	size_t		 p_textoff;
	int		 p_line;
	enum sect	 p_sect;
	int		 p_sect_line;
	/* first error wins */
	int		 p_err_line;
	char		 p_err[ARGO_ERR_LEN];
	unsigned int	 p_seen;	/* [server] keys set, by row */
	unsigned int	 p_useen;	/* current user's keys set */
	size_t		 p_allow_cap;
};

static void
perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
perr(struct parse *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->p_err_line != 0)
		return;
	p->p_err_line = p->p_line > 0 ? p->p_line : 1;
	va_start(ap, fmt);
	(void)vsnprintf(p->p_err, sizeof(p->p_err), fmt, ap);
	va_end(ap);
}

static void
config_defaults(struct config *c)
{
	c->c_port = ARGO_DEFAULT_PORT;
	c->c_workers = 4;
	c->c_max_clients = 64;
	c->c_max_per_host = 8;
	c->c_idle_timeout = 300;
	c->c_login_timeout = 30;
	c->c_max_auth_tries = 3;
	c->c_xen_dir = util_xstrdup("/etc/xen");
	c->c_toolstack = util_xstrdup("/usr/sbin/xl");
	c->c_toolstack_timeout = 60;
	c->c_pidfile = util_xstrdup("/run/argo-server.pid");
	c->c_anonymous_read = 1;
}

void
config_free(struct config *c)
{
	size_t	i, j;

	if (c == NULL)
		return;
	free(c->c_path);
	for (i = 0; i < c->c_nlisten; i++)
		free(c->c_listen[i]);
	free(c->c_xen_dir);
	free(c->c_toolstack);
	free(c->c_pidfile);
	free(c->c_allow);
	for (i = 0; i < c->c_nusers; i++) {
		struct user *u = &c->c_users[i];

		free(u->u_name);
		if (u->u_hash != NULL) {
			explicit_bzero(u->u_hash, strlen(u->u_hash));
			free(u->u_hash);
		}
		for (j = 0; j < u->u_ninstances; j++)
			free(u->u_instances[j]);
		free(u->u_instances);
	}
	free(c->c_users);
	free(c);
}

static int
parse_bool(const char *v, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t	i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (-1);
}

static int
set_listen(struct parse *p, const char *value)
{
	struct config	*c = p->p_conf;
	char		 buf[INI_MAX_LINE], *tok, *save = NULL;
	unsigned char	 tmp[16];

	util_strlcpy(buf, value, sizeof(buf));
	for (; c->c_nlisten > 0; c->c_nlisten--)
		free(c->c_listen[c->c_nlisten - 1]);
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (inet_pton(AF_INET, tok, tmp) != 1 &&
		    inet_pton(AF_INET6, tok, tmp) != 1) {
			perr(p, "listen: '%s' is not a numeric IPv4 or IPv6 "
			    "address", tok);
			return (-1);
		}
		if (c->c_nlisten == CONFIG_MAX_LISTEN) {
			perr(p, "listen: more than %d addresses",
			    CONFIG_MAX_LISTEN);
			return (-1);
		}
		c->c_listen[c->c_nlisten++] = util_xstrdup(tok);
	}
	if (c->c_nlisten == 0) {
		perr(p, "listen: no address given");
		return (-1);
	}
	return (0);
}

static int
set_server(struct parse *p, const char *name, const char *value)
{
	struct config	*c = p->p_conf;
	size_t		 i;
	long		 l;
	int		 b;

	for (i = 0; i < NSERVER_KEYS; i++)
		if (strcmp(server_keys[i].k_name, name) == 0)
			break;
	if (i == NSERVER_KEYS) {
		perr(p, "unknown key '%s' in [server]", name);
		return (-1);
	}
	if (p->p_seen & (1u << i)) {
		perr(p, "'%s' is set twice", name);
		return (-1);
	}
	p->p_seen |= 1u << i;

	const struct key *k = &server_keys[i];
	char **sp = (char **)(void *)((char *)c + k->k_off);
	int *ip = (int *)(void *)((char *)c + k->k_off);

	switch (k->k_type) {
	case K_INT:
		if (util_parse_long(value, k->k_min, k->k_max, &l) == -1) {
			perr(p, "%s: '%s' is not a number from %ld to %ld",
			    name, value, k->k_min, k->k_max);
			return (-1);
		}
		*ip = (int)l;
		break;
	case K_BOOL:
		if (parse_bool(value, &b) == -1) {
			perr(p, "%s: '%s' is not yes or no", name, value);
			return (-1);
		}
		*ip = b;
		break;
	case K_PATH_OR_EMPTY:
		if (*value == '\0') {
			free(*sp);
			*sp = util_xstrdup("");
			break;
		}
		/* FALLTHROUGH */
	case K_PATH:
		if (value[0] != '/') {
			perr(p, "%s: '%s' is not an absolute path", name,
			    value);
			return (-1);
		}
		free(*sp);
		*sp = util_xstrdup(value);
		break;
	case K_LISTEN:
		return (set_listen(p, value));
	}
	return (0);
}

static int
add_allow(struct parse *p, const char *value)
{
	struct config	*c = p->p_conf;
	char		 buf[INI_MAX_LINE], *tok, *save = NULL, why[ARGO_ERR_LEN];

	util_strlcpy(buf, value, sizeof(buf));
	tok = strtok_r(buf, " \t", &save);
	if (tok == NULL) {
		perr(p, "client: no address given");
		return (-1);
	}
	for (; tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (c->c_nallow == ARGO_MAX_ACL) {
			perr(p, "client: more than %d entries", ARGO_MAX_ACL);
			return (-1);
		}
		if (c->c_nallow == p->p_allow_cap) {
			size_t ncap = p->p_allow_cap ? p->p_allow_cap * 2 : 8;
			struct acl_entry *n = reallocarray(c->c_allow, ncap,
			    sizeof(*n));

			if (n == NULL) {
				perr(p, "out of memory");
				return (-1);
			}
			c->c_allow = n;
			p->p_allow_cap = ncap;
		}
		if (acl_parse_entry(tok, &c->c_allow[c->c_nallow], why,
		    sizeof(why)) == -1) {
			perr(p, "client: %s", why);
			return (-1);
		}
		c->c_nallow++;
	}
	return (0);
}

static int
hash_ok(const char *h)
{
	int	r;

	/* Every crypt(3) method but the obsolete DES one starts with '$'. */
	if (h[0] != '$' || strlen(h) < 8)
		return (0);
	r = crypt_checksalt(h);
	return (r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY ||
	    r == CRYPT_SALT_TOO_CHEAP);
}

static int
set_user(struct parse *p, const char *name, const char *value)
{
	struct config	*c = p->p_conf;
	struct user	*u = &c->c_users[c->c_nusers - 1];
	char		 buf[INI_MAX_LINE], *tok, *save = NULL;
	unsigned int	 bit;

	if (strcmp(name, "password") == 0)
		bit = 1;
	else if (strcmp(name, "instances") == 0)
		bit = 2;
	else if (strcmp(name, "readonly") == 0)
		bit = 4;
	else {
		perr(p, "unknown key '%s' in [user %s]", name, u->u_name);
		return (-1);
	}
	if (p->p_useen & bit) {
		perr(p, "'%s' is set twice", name);
		return (-1);
	}
	p->p_useen |= bit;
	switch (bit) {
	case 1:
		if (!hash_ok(value)) {
			perr(p, "password of user %s must be a crypt(3) hash "
			    "(make one with argo-server -H), not plain text",
			    u->u_name);
			return (-1);
		}
		u->u_hash = util_xstrdup(value);
		break;
	case 2:
		util_strlcpy(buf, value, sizeof(buf));
		u->u_all = 0;
		for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t,", &save)) {
			if (strcmp(tok, "*") == 0) {
				u->u_all = 1;
				continue;
			}
			if (!xencfg_name_valid(tok, strlen(tok))) {
				perr(p, "instances: '%s' is not a valid "
				    "instance name", tok);
				return (-1);
			}
			u->u_instances = reallocarray(u->u_instances,
			    u->u_ninstances + 1, sizeof(char *));
			if (u->u_instances == NULL) {
				perr(p, "out of memory");
				return (-1);
			}
			u->u_instances[u->u_ninstances++] = util_xstrdup(tok);
		}
		if (u->u_all && u->u_ninstances > 0) {
			perr(p, "instances: '*' cannot be mixed with names");
			return (-1);
		}
		break;
	case 4:
		if (parse_bool(value, &u->u_readonly) == -1) {
			perr(p, "readonly: '%s' is not yes or no", value);
			return (-1);
		}
		break;
	}
	return (0);
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse	*p = user;

	(void)section;		/* the reader tracked it, with its line */
	if (p->p_err_line != 0)
		return (0);
	switch (p->p_sect) {
	case S_SERVER:
		return (set_server(p, name, value) == 0);
	case S_ALLOW:
		if (strcmp(name, "client") != 0) {
			perr(p, "unknown key '%s' in [allow]", name);
			return (0);
		}
		return (add_allow(p, value) == 0);
	case S_USER:
		return (set_user(p, name, value) == 0);
	case S_NONE:
		perr(p, "'%s' is outside any section", name);
		return (0);
	}
	return (0);
}

/* A [section] header seen by the reader. */
static void
section_start(struct parse *p, const char *s, size_t len)
{
	struct config	*c = p->p_conf;
	char		 name[INI_MAX_LINE];
	size_t		 i;

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	p->p_sect_line = p->p_line;
	if (p->p_sect == S_USER && c->c_nusers > 0 &&
	    c->c_users[c->c_nusers - 1].u_hash == NULL) {
		struct user *u = &c->c_users[c->c_nusers - 1];

		p->p_line = u->u_line;
		perr(p, "user %s has no password", u->u_name);
		p->p_line = p->p_sect_line;
	}
	p->p_useen = 0;
	if (strcmp(name, "server") == 0) {
		p->p_sect = S_SERVER;
	} else if (strcmp(name, "allow") == 0) {
		p->p_sect = S_ALLOW;
	} else if (strncmp(name, "user", 4) == 0 &&
	    (name[4] == ' ' || name[4] == '\t')) {
		const char *un = name + 5;
		struct user *u;

		while (*un == ' ' || *un == '\t')
			un++;
		if (!xencfg_name_valid(un, strlen(un))) {
			perr(p, "[user %s]: invalid user name", un);
			p->p_sect = S_NONE;
			return;
		}
		for (i = 0; i < c->c_nusers; i++)
			if (strcmp(c->c_users[i].u_name, un) == 0) {
				perr(p, "[user %s] appears twice", un);
				return;
			}
		if (c->c_nusers == ARGO_MAX_USERS) {
			perr(p, "more than %d users", ARGO_MAX_USERS);
			return;
		}
		c->c_users = reallocarray(c->c_users, c->c_nusers + 1,
		    sizeof(*c->c_users));
		if (c->c_users == NULL) {
			perr(p, "out of memory");
			return;
		}
		u = &c->c_users[c->c_nusers++];
		memset(u, 0, sizeof(*u));
		u->u_name = util_xstrdup(un);
		u->u_all = 1;
		u->u_line = p->p_line;
		p->p_sect = S_USER;
	} else {
		perr(p, "unknown section [%s]", name);
		p->p_sect = S_NONE;
	}
}

/*
 * inih's reader: one line per call.  Over-long lines are consumed whole and
 * reported (inih would split them and misread the rest as new lines).
 */
static int
next_char(struct parse *p)
{
	if (p->p_fp != NULL)
		return (getc(p->p_fp));
	if (p->p_textoff == p->p_textlen)
		return (EOF);
	return ((unsigned char)p->p_text[p->p_textoff++]);
}

static char *
reader(char *str, int num, void *stream)
{
	struct parse	*p = stream;
	int		 ch, n = 0, toolong = 0, cr = 0;
	const char	*s, *e;

#define PUT(c) do {				\
	if (n < num - 2)			\
		str[n++] = (char)(c);		\
	else					\
		toolong = 1;			\
} while (0)

	ch = next_char(p);
	if (ch == EOF)
		return (NULL);
	p->p_line++;
	for (; ch != EOF && ch != '\n'; ch = next_char(p)) {
		if (ch == '\0') {
			perr(p, "NUL byte in the file");
			continue;
		}
		/* A CR counts only when no LF follows: CRLF files get the
		 * same line length as LF ones. */
		if (cr) {
			PUT('\r');
			cr = 0;
		}
		if (ch == '\r') {
			cr = 1;
			continue;
		}
		PUT(ch);
	}
	str[n] = '\0';
	if (toolong) {
		perr(p, "line longer than %d bytes", num - 2);
		str[0] = '\0';
		return (str);
	}
	/* Section headers: inih reports none for an empty section.  Like
	 * inih, skip a UTF-8 BOM at the start of the file. */
	s = str;
	if (p->p_line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3;
	for (; *s == ' ' || *s == '\t'; s++)
		;
	if (*s == '[' && (e = strchr(s, ']')) != NULL)
		section_start(p, s + 1, (size_t)(e - s - 1));
	str[n] = '\n';
	str[n + 1] = '\0';
	return (str);
#undef PUT
}

static int
finish(struct parse *p, int rc, struct config **out, char *err,
    size_t errlen)
{
	struct config	*c = p->p_conf;

	if (p->p_err_line == 0 && p->p_sect == S_USER && c->c_nusers > 0 &&
	    c->c_users[c->c_nusers - 1].u_hash == NULL) {
		p->p_line = c->c_users[c->c_nusers - 1].u_line;
		perr(p, "user %s has no password",
		    c->c_users[c->c_nusers - 1].u_name);
	}
	if (p->p_err_line == 0 && rc > 0) {
		p->p_line = rc;
		perr(p, "syntax error (expected [section] or key = value)");
	}
	if (p->p_err_line == 0 && rc < 0) {
		(void)snprintf(err, errlen, "%s: cannot parse", p->p_name);
		config_free(c);
		return (-1);
	}
	if (p->p_err_line == 0 && c->c_workers > c->c_max_clients) {
		p->p_line = p->p_line > 0 ? p->p_line : 1;
		perr(p, "workers (%d) must not exceed max_clients (%d)",
		    c->c_workers, c->c_max_clients);
	}
	if (p->p_err_line != 0) {
		(void)snprintf(err, errlen, "%s:%d: %s", p->p_name,
		    p->p_err_line, p->p_err);
		config_free(c);
		return (-1);
	}
	if (c->c_nlisten == 0) {
		c->c_listen[c->c_nlisten++] = util_xstrdup("0.0.0.0");
		c->c_listen[c->c_nlisten++] = util_xstrdup("::");
	}
	*out = c;
	return (0);
}

static void
parse_init(struct parse *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	/* Debian's inih makes these run-time switches.  A continuation line
	 * would turn an indented "port = 1" into a value of the key above. */
	ini_allow_multiline = false;
	p->p_name = name;
	p->p_conf = util_xcalloc(1, sizeof(struct config));
	p->p_conf->c_path = util_xstrdup(name);
	config_defaults(p->p_conf);
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct parse	 p;
	struct stat	 st;
	int		 fd, rc;
	FILE		*fp;

	/* O_NONBLOCK: a FIFO put in its place must not hang the master. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	/* It holds password hashes and decides who may control the host. */
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		(void)snprintf(err, errlen, "%s: must not be writable by group "
		    "or others (chmod go-w)", path);
		close(fd);
		return (-1);
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (-1);
	}
	parse_init(&p, path);
	p.p_fp = fp;
	rc = ini_parse_stream(reader, &p, handler, &p);
	(void)fclose(fp);
	return (finish(&p, rc, out, err, errlen));
}

int
config_load_string(const char *name, const char *text, struct config **out,
    char *err, size_t errlen)
{
	return (config_load_buffer(name, text, strlen(text), out, err, errlen));
}

int
config_load_buffer(const char *name, const char *buf, size_t len,
    struct config **out, char *err, size_t errlen)
{
	struct parse	p;
	int		rc;

	parse_init(&p, name);
	p.p_text = buf;
	p.p_textlen = len;
	rc = ini_parse_stream(reader, &p, handler, &p);
	return (finish(&p, rc, out, err, errlen));
}

const struct user *
config_user(const struct config *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->c_nusers; i++)
		if (strcmp(c->c_users[i].u_name, name) == 0)
			return (&c->c_users[i]);
	return (NULL);
}

int
config_user_sees(const struct user *u, const char *instance)
{
	size_t	i;

	if (u == NULL || u->u_all)
		return (1);
	for (i = 0; i < u->u_ninstances; i++)
		if (strcmp(u->u_instances[i], instance) == 0)
			return (1);
	return (0);
}
