/*
 * config.h: the configuration as every process holds it, and the questions
 * asked of it (config_query.c).  Loading it is the master's and the
 * broker's only (config_load.h): a worker is handed one, never parses one.
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
