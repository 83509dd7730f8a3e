/*
 * xencfg.h: reading one Xen domain configuration file the way xl's
 * libxlutil tokenises it (XEN-FACTS.md section 3, DESIGN.md section 3.1),
 * to find the instance name and the few values `status` shows.
 */
#ifndef ARGO_XENCFG_H
#define ARGO_XENCFG_H

#include <stddef.h>

#include "defs.h"

struct xencfg_info {
	int	has_name;		/* name[] is a valid instance name */
	char	name[ARGO_MAX_NAME + 1];
	long	memory;			/* MiB, or -1 when absent/not a number */
	long	vcpus;			/* or -1 */
};

/*
 * Parse buf[0..len) (not NUL-terminated, may contain anything).
 * The tokenizer follows xl: statements KEY = VALUE or KEY += VALUE separated
 * by newlines or ';'; '#' comments; "..." and '...' strings with backslash
 * escapes; numbers; [ ... ] lists that may nest, span lines, hold comments
 * and a trailing comma.  Tolerated beyond xl: CR before LF, a UTF-8 BOM.
 * A statement that does not parse is skipped up to the end of its line (at
 * list depth 0), so one bad line does not hide the rest of the file.
 *
 * The name is decided by the LAST top-level statement whose key is exactly
 * `name`: if it is `name = <one string literal>` and the literal passes
 * xencfg_name_valid(), has_name = 1; otherwise has_name = 0 and why says
 * what was wrong ("no name", "name is not a string literal", "invalid name
 * ..."). memory/vcpus: the last top-level `memory =`/`vcpus =` whose value is
 * a decimal number or a string holding only one (xen-tools writes '256').
 * A NUL byte anywhere makes the whole file invalid (has_name = 0).
 * Returns has_name ? 0 : -1.
 */
int	xencfg_parse(const char *buf, size_t len, struct xencfg_info *out,
	    char *why, size_t whylen);

/*
 * DESIGN.md 3.1: non-empty, at most ARGO_MAX_NAME bytes, only
 * [A-Za-z0-9_.:+-], not starting with '-', not all digits, not "." or "..".
 * Returns 1 when valid.
 */
int	xencfg_name_valid(const char *name, size_t len);

#endif
