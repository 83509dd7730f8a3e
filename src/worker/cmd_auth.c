/*
 * cmd_auth.c: `auth USER PASSWORD`, in the worker.  The worker holds no
 * password hash: it hands the pair to the broker, which checks it, answers
 * a failure only after the same delay whether the account exists or not,
 * logs the attempt, and from then on knows this session's account itself.
 * The password is wiped here once sent; it is never logged.
 */
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"
#include "xencfg.h"

void
cmd_auth(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	size_t			 ulen = strlen(argv[0]), plen = strlen(argv[1]);

	(void)c;
	(void)inst;
	privmsg_req_init(&rq, PRIV_AUTH);
	/* A name no account can have is still checked (and slowly failed)
	 * by the broker, which gets a sanitised copy to log. */
	if (xencfg_name_valid(argv[0], ulen))
		memcpy(rq.r_user, argv[0], ulen + 1);
	else {
		rq.r_flags |= PRIV_F_BADUSER;
		(void)log_sanitize(rq.r_user, sizeof(rq.r_user), argv[0], ulen);
	}
	if (plen <= ARGO_MAX_PASSWORD)
		memcpy(rq.r_password, argv[1], plen + 1);
	else
		rq.r_flags |= PRIV_F_LONGPW;
	explicit_bzero(argv[1], plen);
	rep = ask(&rq, NULL);
	explicit_bzero(&rq, sizeof(rq));
	if (rep != NULL && rep->p_status == PRIV_OK) {
		s->s_user = config_user(s->s_conf, argv[0]);
		session_ok(s);
		session_done(s);
		return;
	}
	session_fail(s, rep);
	if (rep != NULL && rep->p_status == PRIV_BADAUTH &&
	    ++s->s_authfails >= s->s_conf->c_max_auth_tries) {
		s->s_close = 1;
		s->s_reason = "auth";
	}
}
