/*
 * worker_console.c: `console NAME`, in the worker.  The broker starts the
 * toolstack's console on a pseudo-terminal and hands us its master side;
 * worker_relay.c moves the bytes both ways until the client's escape byte
 * (0x1d, Ctrl-], as in xl console and virsh console), the console's own
 * end, idle_timeout, the client's disappearance or a stop; then we tell
 * the broker, which lets go of the console at once and stops the tool
 * (SIGTERM: xenconsole ends cleanly on it, as on its own escape byte,
 * which therefore never needs to reach the tool, nor the guest), and
 * finish the reply with the end line, back in command mode.
 *
 * The end line cannot be forged by the guest, whose output shares the
 * stream: it carries a random token (CON_TOKEN_BYTES from getrandom, in
 * lower-case hex) that only the 200 line showed, before any guest byte:
 *
 *	200 OK console end=TOKEN LF  ...guest bytes...  CR LF 300 DONE TOKEN LF
 */
#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "reply.h"
#include "util.h"
#include "worker_ask.h"
#include "worker_relay.h"

#define CON_TOKEN_BYTES	16

static char	token[2 * CON_TOKEN_BYTES + 1];

void
console_run(struct session *s)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	struct relay_end	 e;
	int			 pty = s->s_console;

	s->s_console = -1;
	relay_run(s, pty, &e);

	privmsg_req_init(&rq, PRIV_CONSOLE_END);
	rq.r_number = e.in;
	rq.r_number2 = e.out;
	rep = ask(&rq, NULL);
	if (rep != NULL)	/* the broker answered: the tool is being stopped */
		relay_finish(pty, &e);
	close(pty);
	if (strcmp(e.why, "eof") == 0) {
		s->s_close = 1;
		if (s->s_reason == NULL)
			s->s_reason = "eof";
		return;
	}
	/* The guest's last words, then the end (they fit: bounded). */
	session_raw(s, (const char *)e.tail, e.taillen);
	session_raw(s, "\r\n300 DONE ", 11);
	session_raw(s, token, sizeof(token) - 1);
	session_raw(s, "\n", 1);
	if (rep == NULL || strcmp(e.why, "shutdown") == 0) {
		s->s_close = 1;
		s->s_reason = "shutdown";
	} else if (strcmp(e.why, "timeout") == 0) {
		session_error(s, "TIMEOUT");
		s->s_close = 1;
		s->s_reason = "timeout";
	}
}

/* A fresh token for this console's end line; -1 if there is no random. */
static int
new_token(void)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 b[CON_TOKEN_BYTES];
	ssize_t			 n;
	size_t			 i;

	while ((n = getrandom(b, sizeof(b), 0)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(b)) {
		log_warn("console: getrandom");
		return (-1);
	}
	for (i = 0; i < sizeof(b); i++) {
		token[2 * i] = hex[b[i] >> 4];
		token[2 * i + 1] = hex[b[i] & 0xf];
	}
	token[sizeof(token) - 1] = '\0';
	return (0);
}

void
cmd_console(struct session *s, const struct cmd *c, char **argv,
    const struct instance *inst)
{
	struct priv_req		 rq;
	const struct priv_rep	*rep;
	char			 line[64];
	int			 fd = -1;

	(void)c;
	(void)argv;
	if (new_token() == -1) {
		session_error(s, "TOOLSTACK FAILED: no console token");
		return;
	}
	privmsg_req_init(&rq, PRIV_CONSOLE);
	memcpy(rq.r_name, inst->i_name, sizeof(rq.r_name));
	if ((rep = ask(&rq, &fd)) == NULL || rep->p_status != PRIV_OK ||
	    fd == -1) {
		if (fd != -1)
			close(fd);
		session_fail(s, rep != NULL && rep->p_status == PRIV_OK ?
		    NULL : rep);
		return;
	}
	(void)snprintf(line, sizeof(line), "200 OK console end=%s\n", token);
	session_raw(s, line, strlen(line));
	s->s_console = fd;	/* the session loop hands over to console_run */
}
