/*
 * tty.h: one terminal's modes, changed for a console (raw) or a password
 * (no echo) and put back on every way out: the normal paths call
 * tty_restore(), xdie() does, and while modes are saved a handler for
 * every terminating or stopping signal restores them first.
 */
#ifndef ARGO_TTY_H
#define ARGO_TTY_H

/* Remember fd's modes and catch the signals: 0, or -1 if no terminal. */
int	tty_save(int fd);
/* Raw mode (every byte as typed, no signals, no echo): 0 or -1. */
int	tty_raw(void);
/* Line mode without echo (a password): 0 or -1. */
int	tty_noecho(void);
/* Back to the saved modes; harmless when nothing was changed. */
void	tty_restore(void);
/* tty_restore(), then let go of the terminal and the handlers. */
void	tty_forget(void);

#endif
