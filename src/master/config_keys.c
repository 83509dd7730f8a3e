/*
 * config_keys.c: what each key of argo-server.conf means.  [server] is a
 * table, one row per key with its type and range; [allow] has a handler
 * here, [user NAME] its own file (config_user.c).  Values arrive from config.c's reader, one line at
 * a time, with the line number already set for messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "config_parse.h"
#include "util.h"
#include "xencfg.h"

#define perr	config_perr

enum ktype { K_INT, K_BOOL, K_PATH, K_PATH_OR_EMPTY, K_LISTEN, K_ACCOUNT,
    K_MODE, K_GROUP };

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
	{ "per_host_prefix6",	K_INT,	OFF(c_per_host_prefix6), 1, 128 },
	{ "auth_throttle_after", K_INT,	OFF(c_auth_throttle_after), 0, 1000 },
	{ "auth_throttle_window", K_INT, OFF(c_auth_throttle_window), 1, 86400 },
	{ "idle_timeout",	K_INT,	OFF(c_idle_timeout),	1, 86400 },
	{ "login_timeout",	K_INT,	OFF(c_login_timeout),	1, 3600 },
	{ "max_auth_tries",	K_INT,	OFF(c_max_auth_tries),	1, 100 },
	{ "xen_dir",		K_PATH,	OFF(c_xen_dir),		0, 0 },
	{ "toolstack",		K_PATH,	OFF(c_toolstack),	0, 0 },
	{ "toolstack_timeout",	K_INT,	OFF(c_toolstack_timeout), 1, 3600 },
	{ "watch_interval",	K_INT,	OFF(c_watch_interval),	1, 60 },
	{ "pidfile",		K_PATH_OR_EMPTY, OFF(c_pidfile), 0, 0 },
	{ "anonymous_read",	K_BOOL,	OFF(c_anonymous_read),	0, 1 },
	{ "user",		K_ACCOUNT, OFF(c_user),		0, 0 },
	{ "chroot",		K_PATH,	OFF(c_chroot),		0, 0 },
	{ "socket",		K_PATH_OR_EMPTY, OFF(c_socket),	0, 0 },
	{ "socket_mode",	K_MODE,	OFF(c_socket_mode),	0, 0777 },
	{ "socket_group",	K_GROUP, OFF(c_socket_group),	0, 0 },
};
#define NSERVER_KEYS	(sizeof(server_keys) / sizeof(server_keys[0]))

void
config_defaults(struct config *c)
{
	c->c_port = ARGO_DEFAULT_PORT;
	c->c_workers = 4;
	c->c_max_clients = 64;
	c->c_max_per_host = 8;
	c->c_per_host_prefix6 = 64;
	c->c_auth_throttle_after = 5;
	c->c_auth_throttle_window = 900;
	c->c_idle_timeout = 300;
	c->c_login_timeout = 30;
	c->c_max_auth_tries = 3;
	c->c_xen_dir = util_xstrdup("/etc/xen");
	c->c_toolstack = util_xstrdup("/usr/sbin/xl");
	c->c_toolstack_timeout = 60;
	c->c_watch_interval = 2;
	c->c_pidfile = util_xstrdup("/run/argo-server.pid");
	c->c_anonymous_read = 1;
	c->c_user = util_xstrdup(ARGO_DEFAULT_USER);
	c->c_chroot = util_xstrdup(ARGO_DEFAULT_CHROOT);
	c->c_socket = util_xstrdup("");
	c->c_socket_mode = 0660;
	c->c_socket_group = util_xstrdup("");
}

/* A system account for the workers: what adduser --system would take. */
static int
account_ok(const char *v)
{
	size_t	i, n = strlen(v);

	if (n == 0 || n > 32 || v[0] == '-')
		return (0);
	for (i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
		    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '_' || v[i] == '-' || v[i] == '.'))
			return (0);
	return (strcmp(v, ".") != 0 && strcmp(v, "..") != 0);
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

int
config_set_server(struct parse *p, const char *name, const char *value)
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
		if (config_parse_bool(value, &b) == -1) {
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
	case K_MODE:
		/* Octal, as chmod takes it: "0660" or "660". */
		l = -1;
		if (value[0] != '\0' && strspn(value, "01234567") ==
		    strlen(value) && strlen(value) <= 4)
			l = strtol(value, NULL, 8);
		if (l < k->k_min || l > k->k_max) {
			perr(p, "%s: '%s' is not an octal mode from 0 to 0777",
			    name, value);
			return (-1);
		}
		*ip = (int)l;
		break;
	case K_GROUP:
		/*
		 * Looked up when the socket is made (listener_unix.c): a
		 * packaged file names the package's group, which a build
		 * host checking the file with -t need not have.
		 */
		if (!account_ok(value)) {
			perr(p, "%s: '%s' is not a group name", name, value);
			return (-1);
		}
		free(*sp);
		*sp = util_xstrdup(value);
		break;
	case K_ACCOUNT:
		if (!account_ok(value)) {
			perr(p, "%s: '%s' is not a system user name", name,
			    value);
			return (-1);
		}
		free(*sp);
		*sp = util_xstrdup(value);
		break;
	}
	return (0);
}

int
config_add_allow(struct parse *p, const char *value)
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

/* A [section] header seen by the reader. */
void
config_section_start(struct parse *p, const char *s, size_t len)
{
	struct config	*c = p->p_conf;
	char		 name[INI_MAX_LINE];
	size_t		 i;

	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, s, len);
	name[len] = '\0';
	p->p_sect_line = p->p_line;
	config_user_end(p);
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
