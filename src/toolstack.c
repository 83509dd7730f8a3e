/*
 * toolstack.c: build the toolstack's argument vector and turn its result
 * into replies.  Verbs are constants from the command table; the operand is
 * a name or a path from the instance map, never a client's word.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "toolstack.h"

#define STDERR_LOG_LINES	20
#define STDERR_LOG_WIDTH	300	/* bytes of each line */

static struct exec_result	result;

const struct exec_result *
toolstack_run(const struct config *c, const char *verb, const char *arg)
{
	char	*argv[4];

	argv[0] = c->c_toolstack;
	argv[1] = (char *)(uintptr_t)verb;
	argv[2] = (char *)(uintptr_t)arg;
	argv[3] = NULL;
	(void)exec_run(c->c_toolstack, argv,
	    (long)c->c_toolstack_timeout * 1000, &result);
	return (&result);
}

int
toolstack_ok(const struct exec_result *r)
{
	return (r->outcome == EXEC_EXITED && r->status == 0);
}

void
toolstack_rc(const struct exec_result *r, char *buf, size_t len)
{
	switch (r->outcome) {
	case EXEC_EXITED:
		(void)snprintf(buf, len, "%d", r->status);
		break;
	case EXEC_SIGNALED:
		(void)snprintf(buf, len, "signal-%d", r->status);
		break;
	case EXEC_TIMEOUT:
		(void)snprintf(buf, len, "timeout");
		break;
	case EXEC_ERROR:
		(void)snprintf(buf, len, "error");
		break;
	}
}

static void
log_stderr(const struct exec_result *r, const char *what)
{
	char		 safe[STDERR_LOG_WIDTH + 1];
	size_t		 start = 0, i;
	int		 lines = 0, more = 0;

	for (i = 0; i <= r->errlen; i++) {
		if (i < r->errlen && r->err[i] != '\n')
			continue;
		if (i > start) {
			if (lines < STDERR_LOG_LINES)
				log_info("%s: stderr: %s", what,
				    log_sanitize_text(safe, sizeof(safe),
				    r->err + start, i - start));
			else
				more++;
			lines++;
		}
		start = i + 1;
	}
	if (more > 0 || r->err_trunc)
		log_info("%s: stderr: (%d more lines%s)", what, more,
		    r->err_trunc ? ", output truncated" : "");
}

void
toolstack_fail_reply(struct session *s, const struct exec_result *r,
    const char *what)
{
	char	summary[256];

	if (r->outcome != EXEC_ERROR)
		log_stderr(r, what);
	if (r->outcome == EXEC_TIMEOUT) {
		session_error(s, "TOOLSTACK TIMEOUT");
		return;
	}
	if (r->outcome == EXEC_ERROR) {
		log_warnx("%s: %.*s", what, (int)r->errlen, r->err);
		session_error(s, "TOOLSTACK FAILED: cannot run the toolstack");
		return;
	}
	exec_summary(r, summary, sizeof(summary));
	session_error(s, "TOOLSTACK FAILED: %s", summary);
}
