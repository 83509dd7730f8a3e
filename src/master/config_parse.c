/*
 * config_parse.c: what every part of the loader uses while it reads a
 * value (config_parse.h): the first error, kept with its line, and yes or
 * no.  Below config.c, config_keys.c and config_user.c, so that the key
 * setters that config.c calls never call back into it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "config_parse.h"

void
config_perr(struct parse *p, const char *fmt, ...)
{
	va_list	ap;

	if (p->p_err_line != 0)
		return;
	p->p_err_line = p->p_line > 0 ? p->p_line : 1;
	va_start(ap, fmt);
	(void)vsnprintf(p->p_err, sizeof(p->p_err), fmt, ap);
	va_end(ap);
}

int
config_parse_bool(const char *v, int *out)
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
