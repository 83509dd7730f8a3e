/*
 * config.c: argo-server.conf with inih.  The file is read whole (bounded)
 * into memory and parsed from there, so that the master can hand the very
 * bytes it validated to the broker on SIGHUP, and wipe them afterwards: no
 * stdio buffer is left holding password hashes.  The line reader around
 * inih counts lines (so every message carries FILE:LINE), catches lines
 * longer than inih's buffer, and sees section headers, which inih never
 * reports for an empty section.  What each key means is config_keys.c.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config_load.h"
#include "config_parse.h"
#include "hashcost.h"
#include "util.h"
#include "xencfg.h"

#define perr	config_perr

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse	*p = user;

	(void)section;		/* the reader tracked it, with its line */
	if (p->p_err_line != 0)
		return (0);
	switch (p->p_sect) {
	case S_SERVER:
		return (config_set_server(p, name, value) == 0);
	case S_ALLOW:
		if (strcmp(name, "client") != 0) {
			perr(p, "unknown key '%s' in [allow]", name);
			return (0);
		}
		return (config_add_allow(p, value) == 0);
	case S_USER:
		return (config_set_user(p, name, value) == 0);
	case S_NONE:
		perr(p, "'%s' is outside any section", name);
		return (0);
	}
	return (0);
}

/*
 * inih's reader: one line per call.  Over-long lines are consumed whole and
 * reported (inih would split them and misread the rest as new lines).
 */
static int
next_char(struct parse *p)
{
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
		config_section_start(p, s + 1, (size_t)(e - s - 1));
	str[n] = '\n';
	str[n + 1] = '\0';
	return (str);
#undef PUT
}

/*
 * A failed auth checks one hash of every method and cost in the file
 * (hashcost.h), so that its time does not tell which account exists:
 * bound how many that can be.
 */
static void
check_hash_costs(struct parse *p)
{
	const struct config	*c = p->p_conf;
	size_t			 rep[HASHCOST_MAX + 1];

	if (hashcost_reps(c->c_users, c->c_nusers, rep, HASHCOST_MAX) <=
	    HASHCOST_MAX)
		return;
	p->p_line = c->c_users[rep[HASHCOST_MAX]].u_line;
	perr(p, "user %s: more than %d different password hash methods or "
	    "costs (a failed auth checks one of each); rehash some accounts "
	    "alike", c->c_users[rep[HASHCOST_MAX]].u_name, HASHCOST_MAX);
}

static int
finish(struct parse *p, int rc, struct config **out, char *err,
    size_t errlen)
{
	struct config	*c = p->p_conf;

	if (p->p_err_line == 0)
		config_user_end(p);
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
	if (p->p_err_line == 0)
		check_hash_costs(p);
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
config_read_file(const char *path, char **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

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
	buf = util_xmalloc(ARGO_MAX_CONF_FILE + 1);
	for (;;) {
		n = read(fd, buf + len, ARGO_MAX_CONF_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > ARGO_MAX_CONF_FILE)
			break;
	}
	if (n == -1 || len > ARGO_MAX_CONF_FILE) {
		if (n == -1)
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
		else
			(void)snprintf(err, errlen, "%s: larger than %d MiB",
			    path, ARGO_MAX_CONF_FILE / (1024 * 1024));
		close(fd);
		config_wipe(buf, len);
		return (-1);
	}
	close(fd);
	*bufp = buf;
	*lenp = len;
	return (0);
}

void
config_wipe(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	if (config_read_file(path, &buf, &len, err, errlen) == -1)
		return (-1);
	rc = config_load_buffer(path, buf, len, out, err, errlen);
	config_wipe(buf, len);
	return (rc);
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
	rc = finish(&p, rc, out, err, errlen);
	explicit_bzero(&p, sizeof(p));
	return (rc);
}
