/*
 * config_load.h: argo-server.conf loaded into a fresh struct config,
 * validated as a whole, then swapped in by the caller (start-up and
 * SIGHUP alike).  The master loads it, the broker reloads the very bytes
 * the master validated; workers never include this.
 */
#ifndef ARGO_CONFIG_LOAD_H
#define ARGO_CONFIG_LOAD_H

#include <stddef.h>

#include "config.h"

/*
 * Load and validate path.  On success *out is a new config (free it with
 * config_free) and 0 is returned; on failure -1 and err holds one line
 * "FILE:LINE: message" (or "FILE: message").
 */
int	config_load(const char *path, struct config **out, char *err,
	    size_t errlen);
/*
 * Read path whole (regular file, not group/world writable, at most
 * ARGO_MAX_CONF_FILE bytes) into *bufp (free it with config_wipe): 0, or
 * -1 with the reason in err.  config_load() is this, then
 * config_load_buffer(), then config_wipe().
 */
int	config_read_file(const char *path, char **bufp, size_t *lenp,
	    char *err, size_t errlen);
/* Zero len bytes of buf, then free it. */
void	config_wipe(char *buf, size_t len);
/* Same from a string (unit tests, fuzzing); name is used in messages. */
int	config_load_string(const char *name, const char *text,
	    struct config **out, char *err, size_t errlen);
/* Same from len bytes that may hold NULs (refused, as in a file). */
int	config_load_buffer(const char *name, const char *buf, size_t len,
	    struct config **out, char *err, size_t errlen);

#endif
