/*
 * config_user.c: the keys of a [user NAME] section.  An account is reached
 * by `auth` with its password, or on the local socket by the uids its
 * unix_users lists (DESIGN.md 8); it needs one of the two.  Names in
 * unix_users are looked up here, in the master at load, so that a typo is
 * a FILE:LINE error at start rather than a user quietly left anonymous.
 */
#include <crypt.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_parse.h"
#include "util.h"
#include "xencfg.h"

#define perr	config_perr

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
set_instances(struct parse *p, struct user *u, const char *value)
{
	char	buf[INI_MAX_LINE], *tok, *save = NULL;

	util_strlcpy(buf, value, sizeof(buf));
	u->u_all = 0;
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (strcmp(tok, "*") == 0) {
			u->u_all = 1;
			continue;
		}
		if (!xencfg_name_valid(tok, strlen(tok))) {
			perr(p, "instances: '%s' is not a valid instance name",
			    tok);
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
	return (0);
}

/* A uid, as digits or as a user name of this system. */
static int
unix_uid(struct parse *p, const char *tok, uid_t *uid)
{
	const struct passwd	*pw;
	long			 l;

	if (tok[0] >= '0' && tok[0] <= '9') {
		if (util_parse_long(tok, 0, 0x7fffffffL, &l) == -1) {
			perr(p, "unix_users: '%s' is not a uid", tok);
			return (-1);
		}
		*uid = (uid_t)l;
		return (0);
	}
	errno = 0;
	if ((pw = getpwnam(tok)) == NULL) {
		perr(p, "unix_users: no user '%s' on this system", tok);
		return (-1);
	}
	*uid = pw->pw_uid;
	return (0);
}

/*
 * A uid is one account or none: two would make "who is this" depend on
 * the order of the file.  Earlier accounts are complete when a later one
 * is read, so the second mention is the line reported.
 */
static int
set_unix_users(struct parse *p, struct user *u, const char *value)
{
	const struct config	*c = p->p_conf;
	const struct user	*o;
	char			 buf[INI_MAX_LINE], *tok, *save = NULL;
	uid_t			 uid;

	util_strlcpy(buf, value, sizeof(buf));
	for (tok = strtok_r(buf, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (unix_uid(p, tok, &uid) == -1)
			return (-1);
		if ((o = config_user_by_uid(c, uid)) != NULL) {
			perr(p, "unix_users: uid %lu ('%s') is already in "
			    "[user %s]", (unsigned long)uid, tok, o->u_name);
			return (-1);
		}
		u->u_uids = reallocarray(u->u_uids, u->u_nuids + 1,
		    sizeof(*u->u_uids));
		if (u->u_uids == NULL) {
			perr(p, "out of memory");
			return (-1);
		}
		u->u_uids[u->u_nuids++] = uid;
	}
	if (u->u_nuids == 0) {
		perr(p, "unix_users: no user given");
		return (-1);
	}
	return (0);
}

int
config_set_user(struct parse *p, const char *name, const char *value)
{
	struct config	*c = p->p_conf;
	struct user	*u = &c->c_users[c->c_nusers - 1];
	unsigned int	 bit;

	if (strcmp(name, "password") == 0)
		bit = 1;
	else if (strcmp(name, "instances") == 0)
		bit = 2;
	else if (strcmp(name, "readonly") == 0)
		bit = 4;
	else if (strcmp(name, "unix_users") == 0)
		bit = 8;
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
		return (0);
	case 2:
		return (set_instances(p, u, value));
	case 4:
		if (config_parse_bool(value, &u->u_readonly) == -1) {
			perr(p, "readonly: '%s' is not yes or no", value);
			return (-1);
		}
		return (0);
	default:
		return (set_unix_users(p, u, value));
	}
}

void
config_user_end(struct parse *p)
{
	struct config	*c = p->p_conf;
	struct user	*u;
	int		 line = p->p_line;

	if (p->p_sect != S_USER || c->c_nusers == 0)
		return;
	u = &c->c_users[c->c_nusers - 1];
	if (u->u_hash != NULL || u->u_nuids > 0)
		return;
	p->p_line = u->u_line;
	perr(p, "user %s has no password", u->u_name);
	p->p_line = line;
}
