/*
 * toolstack.c: the toolstack as the broker runs it, in one of its children
 * (broker_job.c): a fixed argument vector from constants and the broker's
 * own instance scan, and the reply a worker gets from the result.  The
 * whole stderr goes to the log here; the worker gets one summary line.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "toolstack.h"

#define STDERR_LOG_LINES	20
#define STDERR_LOG_WIDTH	300	/* bytes of each line */
#define EXEC_SUMMARY_MAX	200

static struct exec_result	result;

const struct exec_result *
toolstack_run(const struct config *c, const char *verb, const char *arg,
    const char *arg2)
{
	char	*argv[5];

	argv[0] = c->c_toolstack;
	argv[1] = (char *)(uintptr_t)verb;
	argv[2] = (char *)(uintptr_t)arg;
	argv[3] = arg != NULL ? (char *)(uintptr_t)arg2 : NULL;
	argv[4] = NULL;
	(void)exec_run(c->c_toolstack, argv,
	    (long)c->c_toolstack_timeout * 1000, &result);
	return (&result);
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

size_t
toolstack_reply(const struct exec_result *r, const char *what,
    struct priv_rep *rep, char *out)
{
	if (r->outcome == EXEC_EXITED && r->status == 0) {
		rep->p_status = PRIV_OK;
		memcpy(out, r->out, r->outlen);
		rep->p_outlen = (uint32_t)r->outlen;
		return (sizeof(*rep) + r->outlen);
	}
	rep->p_outlen = 0;
	if (r->outcome == EXEC_ERROR) {
		log_warnx("%s: %.*s", what, (int)r->errlen, r->err);
		rep->p_status = PRIV_ERROR;
		return (sizeof(*rep));
	}
	log_stderr(r, what);
	if (r->outcome == EXEC_TIMEOUT) {
		rep->p_status = PRIV_TIMEOUT;
		return (sizeof(*rep));
	}
	rep->p_status = PRIV_FAILED;
	exec_summary(r, rep->p_summary, sizeof(rep->p_summary));
	return (sizeof(*rep));
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* xl's progress lines, printed on stderr even when all went well. */
static int
is_chatter(const char *p, size_t len)
{
	static const char *const chatter[] = {
		"Parsing config from",
		"Shutting down domain",
		"Rebooting domain",
		"Waiting for",
	};
	size_t	i, n;

	for (i = 0; i < sizeof(chatter) / sizeof(chatter[0]); i++) {
		n = strlen(chatter[i]);
		if (len >= n && memcmp(p, chatter[i], n) == 0)
			return 1;
	}
	return 0;
}

void
exec_summary(const struct exec_result *res, char *buf, size_t len)
{
	const char	*p, *e, *nl;
	size_t		 n, i, max;

	if (buf == NULL || len == 0)
		return;
	buf[0] = '\0';
	p = res->err;
	e = res->err + (res->errlen < sizeof(res->err) ? res->errlen :
	    sizeof(res->err));
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		/* Trim blanks (and the CR of a CRLF) at both ends. */
		while (p < nl && is_blank((unsigned char)*p))
			p++;
		n = (size_t)(nl - p);
		while (n > 0 && is_blank((unsigned char)p[n - 1]))
			n--;
		if (n > 0 && !is_chatter(p, n)) {
			max = len - 1 < EXEC_SUMMARY_MAX ? len - 1 :
			    EXEC_SUMMARY_MAX;
			if (n > max) {
				n = max;
				/* Do not cut a UTF-8 sequence in half. */
				while (n > 0 &&
				    ((unsigned char)p[n] & 0xc0) == 0x80)
					n--;
			}
			for (i = 0; i < n; i++) {
				unsigned char c = (unsigned char)p[i];

				/* An int holding '?' or (char)c: no narrowing. */
				/* NOLINTNEXTLINE(bugprone-narrowing-conversions) */
				buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
			}
			buf[n] = '\0';
			return;
		}
		p = nl + 1;
	}
	switch (res->outcome) {
	case EXEC_EXITED:
		(void)snprintf(buf, len, "exit status %d", res->status);
		break;
	case EXEC_SIGNALED:
		(void)snprintf(buf, len, "killed by signal %d", res->status);
		break;
	case EXEC_TIMEOUT:
		(void)snprintf(buf, len, "timed out");
		break;
	case EXEC_ERROR:
	default:
		(void)snprintf(buf, len, "could not run the toolstack");
		break;
	}
}
