/*
 * defs.h: every compile-time limit of argo-server in one place, so that a
 * reviewer can see at a glance what an attacker can make us allocate.
 */
#ifndef ARGO_DEFS_H
#define ARGO_DEFS_H

#ifndef ARGO_VERSION
#define ARGO_VERSION		"0.1.0"
#endif

#define ARGO_DEFAULT_CONFIG	"/etc/argo-server/argo-server.conf"
#define ARGO_DEFAULT_PORT	20203
#define ARGO_DEFAULT_USER	"argo-server"	/* the workers' account */
#define ARGO_FALLBACK_USER	"nobody"
#define ARGO_DEFAULT_CHROOT	"/var/lib/argo-server/empty"

#define ARGO_MAX_LINE		1024	/* request bytes, line end excluded */
#define ARGO_MAX_WORDS		8	/* words in one request */
#define ARGO_MAX_NAME		64	/* instance and user names */
#define ARGO_MAX_PASSWORD	128	/* longer passwords are never valid */
#define ARGO_MAX_TOOL_OUTPUT	65536	/* kept per toolstack stream */
#define ARGO_MAX_CFG_FILE	(256 * 1024)	/* bigger .cfg files are skipped */
#define ARGO_MAX_CONF_FILE	(4 * 1024 * 1024)	/* argo-server.conf */
#define ARGO_MAX_INSTANCES	100000	/* .cfg files considered per scan */
#define ARGO_MAX_ACL		1024	/* client = entries */
#define ARGO_MAX_USERS		1024	/* [user NAME] sections */
#define ARGO_HARD_MAX_CLIENTS	1024	/* upper bound of max_clients */
#define ARGO_MAX_SESSIONS_PER_WORKER 1000	/* then the worker is replaced */
#define ARGO_ERR_LEN		256	/* error message buffers */
#define ARGO_LOG_SANITIZE	100	/* network bytes quoted in the log */
#define ARGO_AUTH_DELAY_MS	1000	/* answer to a failed auth */
#define ARGO_STOP_GRACE		10	/* seconds sessions get on SIGTERM */
#define ARGO_KILL_GRACE_MS	2000	/* toolstack: SIGTERM, then SIGKILL */

/* xen_dir: a full look at least this often, for what inotify cannot see
 * (the broker's dirwatch.c; workers ask for a rescan as often). */
#define DIRWATCH_RECHECK_MS	1000

#endif
