/*
 * config_parse.h: what config.c (the file, inih and its reader),
 * config_keys.c (what each key means) and config_user.c ([user NAME])
 * share.  Not for other modules.  config.c calls the setters below; they
 * call only config_parse.c (config_perr, config_parse_bool), never back.
 */
#ifndef ARGO_CONFIG_PARSE_H
#define ARGO_CONFIG_PARSE_H

#include <stddef.h>

#include "config.h"
#include "defs.h"

#ifndef INI_MAX_LINE
#define INI_MAX_LINE	200
#endif

enum sect { S_NONE, S_SERVER, S_ALLOW, S_USER };

struct parse {
	const char	*p_name;	/* file name for messages */
	struct config	*p_conf;
	/* the reader's side */
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

/* config_parse.c */
/* Record the first error, at the reader's current line. */
void	config_perr(struct parse *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* yes/true/on/1 or no/false/off/0 into *out: 0, or -1. */
int	config_parse_bool(const char *v, int *out);

/* config_keys.c */
void	config_defaults(struct config *c);
/* A [section] header at the reader's line (name not NUL-terminated). */
void	config_section_start(struct parse *p, const char *s, size_t len);
/* One key = value of [server], [allow] or the current [user]: 0 or -1. */
int	config_set_server(struct parse *p, const char *name, const char *value);
int	config_add_allow(struct parse *p, const char *value);
/* config_user.c */
int	config_set_user(struct parse *p, const char *name, const char *value);
/* At the end of a [user NAME] section (the next header, or the file's
 * end): an account with neither password nor unix_users is an error at its
 * header's line. */
void	config_user_end(struct parse *p);

#endif
