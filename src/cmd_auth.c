/*
 * cmd_auth.c: `auth USER PASSWORD`.
 *
 * An unknown user is checked against a dummy hash of the default method,
 * and every failure is answered ARGO_AUTH_DELAY_MS after the request
 * arrived, so neither the reply nor its timing tells whether the account
 * exists.  Passwords are wiped after use and never logged.
 */
#include <crypt.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "log.h"
#include "util.h"

static char			dummy_hash[CRYPT_OUTPUT_SIZE];
static struct crypt_data	cdata;

void
auth_init(void)
{
	char		 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char	*h = NULL;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) != NULL)
		h = crypt_rn("argo-server dummy password", salt, &cdata,
		    sizeof(cdata));
	if (h == NULL || h[0] == '*')
		h = "$6$argoargoargoargo$3y8xvXyPQH1tJ6J2y6Yq3bOo0sZ7c3c9p9z5"
		    "bBqCqfG0sW8g3sO3oZo8q9Kq3u1zjCw0v9k6YJ0b1rjGm6zq1";
	util_strlcpy(dummy_hash, h, sizeof(dummy_hash));
	explicit_bzero(&cdata, sizeof(cdata));
}

static void
sleep_until(long long deadline)
{
	struct timespec	ts;
	long long	left;

	while ((left = deadline - util_now_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		if (nanosleep(&ts, NULL) == 0)
			break;
	}
}

void
cmd_auth(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	const struct user	*u;
	const char		*h;
	long long		 start = util_now_ms();
	char			 safe[ARGO_LOG_SANITIZE + 1];
	int			 ok = 0;

	(void)c;
	(void)inst;
	u = config_user(s->s_conf, argv[0]);
	if (strlen(argv[1]) <= ARGO_MAX_PASSWORD) {
		h = crypt_rn(argv[1], u != NULL ? u->u_hash : dummy_hash,
		    &cdata, sizeof(cdata));
		/* libxcrypt fails with a '*' token, others with NULL. */
		ok = u != NULL && h != NULL && h[0] != '*' &&
		    util_streq_ct(h, u->u_hash);
		explicit_bzero(&cdata, sizeof(cdata));
	}
	explicit_bzero(argv[1], strlen(argv[1]));
	log_sanitize(safe, sizeof(safe), argv[0], strlen(argv[0]));
	if (ok) {
		s->s_user = u;
		log_info("auth ok peer=%s user=%s", s->s_peer, u->u_name);
		session_ok(s);
		session_done(s);
		return;
	}
	sleep_until(start + ARGO_AUTH_DELAY_MS);
	s->s_authfails++;
	log_info("auth failed peer=%s user=%s", s->s_peer, safe);
	session_error(s, "AUTHENTICATION FAILED");
	if (s->s_authfails >= s->s_conf->c_max_auth_tries) {
		s->s_close = 1;
		s->s_reason = "auth";
	}
}
