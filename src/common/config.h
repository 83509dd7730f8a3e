/*
 * config.h: the configuration file, loaded into a fresh struct, validated
 * as a whole, then swapped in by the caller (start-up and SIGHUP alike).
 */
#ifndef ARGO_CONFIG_H
#define ARGO_CONFIG_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "acl.h"
#include "defs.h"

#define CONFIG_MAX_LISTEN	16

struct user {
	char	 *u_name;
	char	 *u_hash;
	int	  u_readonly;
	int	  u_all;		/* instances = * */
	char	**u_instances;		/* when !u_all */
	size_t	  u_ninstances;
	int	  u_line;		/* of the [user NAME] header */
	uid_t	 *u_uids;		/* unix_users: who IS it on the socket */
	size_t	  u_nuids;
};

struct config {
	char		*c_path;
	int		 c_port;
	char		*c_listen[CONFIG_MAX_LISTEN];
	size_t		 c_nlisten;
	int		 c_workers;
	int		 c_max_clients;
	int		 c_max_per_host;
	int		 c_per_host_prefix6;	/* an IPv6 host is its /N */
	int		 c_auth_throttle_after;	/* failures; 0: no throttle */
	int		 c_auth_throttle_window;	/* seconds */
	int		 c_idle_timeout;
	int		 c_login_timeout;
	int		 c_max_auth_tries;
	char		*c_xen_dir;
	char		*c_toolstack;
	int		 c_toolstack_timeout;
	int		 c_watch_interval;	/* seconds between watch polls */
	char		*c_pidfile;		/* "" = none */
	int		 c_anonymous_read;
	char		*c_user;		/* the workers' account */
	char		*c_chroot;		/* the workers' root */
	char		*c_socket;		/* UNIX listener path, "": none */
	int		 c_socket_mode;		/* its permission bits */
	char		*c_socket_group;	/* its group, "": root's */
	struct acl_entry *c_allow;
	size_t		 c_nallow;
	struct user	*c_users;
	size_t		 c_nusers;
};

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
void	config_free(struct config *c);
/* Wipe and drop every password hash: the master's copy, once the broker
 * has its own. */
void	config_forget_secrets(struct config *c);

const struct user *config_user(const struct config *c, const char *name);
/* The account whose unix_users lists uid, or NULL (DESIGN.md 8). */
const struct user *config_user_by_uid(const struct config *c, uid_t uid);
/* May this account see this instance? (NULL user: anonymous, sees all) */
int	config_user_sees(const struct user *u, const char *instance);

#endif
