/*
 * console.h: `console NAME` on a connection (DESIGN.md section 3): once
 * the server says `200 OK`, raw bytes both ways, the terminal in raw
 * mode, until Ctrl-] (ours) or the console's end (the server's); then
 * CR LF, `300 DONE TOKEN` with the token of the `200 OK console end=TOKEN`
 * line, and the connection is back in command mode.
 */
#ifndef ARGO_CONSOLE_H
#define ARGO_CONSOLE_H

#include "conn.h"
#include "reply.h"

/*
 * Attach to name's console.  in holds what was read from stdin but not
 * used yet (typed ahead, piped); what follows the escape stays there.
 * *in_eof is set once stdin is at its end.  Returns 0 when the console
 * ended and command mode is back, 1 when the server refused (printed),
 * 2 when the connection is lost (printed).
 */
int	console_attach(struct conn *c, const char *name, struct reader *in,
	    int *in_eof);

#endif
