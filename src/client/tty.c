/*
 * tty.c: terminal modes that are always put back.
 *
 * A console switches the user's terminal to raw mode; if argo then died
 * without restoring it, the shell would be left without echo or line
 * editing.  So while modes are saved, SIGINT, SIGTERM, SIGHUP, SIGQUIT and
 * SIGPIPE restore the terminal and then take their default action again
 * (the exit status still says which signal it was), and SIGTSTP restores
 * it before stopping and reapplies our mode on SIGCONT, as ssh and less do.
 * Everything a handler calls is async-signal-safe (tcsetattr, sigaction,
 * sigprocmask, kill).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tty.h"

static const int	 tty_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
			    SIGPIPE };
#define TTY_NSIGS	(sizeof(tty_sigs) / sizeof(tty_sigs[0]))

static volatile sig_atomic_t	tty_fd = -1;
static volatile sig_atomic_t	tty_changed;	/* tty_mode is in force */
static struct termios		tty_saved, tty_mode;
static struct sigaction		tty_old[TTY_NSIGS], tty_old_tstp,
				tty_old_cont;

static void
put_back(void)
{
	if (tty_fd != -1 && tty_changed)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_saved);
}

static void
on_fatal(int sig)
{
	struct sigaction	sa;

	put_back();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(sig, &sa, NULL);
	/* Blocked while we run: delivered, by default, once we return. */
	(void)kill(getpid(), sig);
}

static void
on_tstp(int sig)
{
	struct sigaction	sa, mine;
	sigset_t		set;
	int			saved_errno = errno;

	(void)sig;
	put_back();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTSTP, &sa, &mine);
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	(void)kill(getpid(), SIGTSTP);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* Stopped here until SIGCONT. */
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	(void)sigaction(SIGTSTP, &mine, NULL);
	if (tty_fd != -1 && tty_changed)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_mode);
	errno = saved_errno;
}

static void
on_cont(int sig)
{
	int	saved_errno = errno;

	/* A SIGSTOP we could not catch: the shell may have reset modes. */
	(void)sig;
	if (tty_fd != -1 && tty_changed)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_mode);
	errno = saved_errno;
}

int
tty_save(int fd)
{
	struct sigaction	sa;
	size_t			i;

	if (tty_fd != -1)
		tty_forget();
	if (!isatty(fd) || tcgetattr(fd, &tty_saved) == -1)
		return (-1);
	tty_mode = tty_saved;
	tty_changed = 0;
	tty_fd = fd;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_fatal;
	for (i = 0; i < TTY_NSIGS; i++)
		(void)sigaction(tty_sigs[i], &sa, &tty_old[i]);
	sa.sa_handler = on_tstp;
	(void)sigaction(SIGTSTP, &sa, &tty_old_tstp);
	sa.sa_handler = on_cont;
	(void)sigaction(SIGCONT, &sa, &tty_old_cont);
	return (0);
}

static int
apply(const struct termios *t)
{
	if (tty_fd == -1)
		return (-1);
	tty_mode = *t;
	tty_changed = 1;
	/* TCSADRAIN: what we printed before the switch is shown as it was. */
	if (tcsetattr(tty_fd, TCSADRAIN, &tty_mode) == -1) {
		tty_changed = 0;
		return (-1);
	}
	return (0);
}

int
tty_raw(void)
{
	struct termios	t = tty_saved;

	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return (apply(&t));
}

int
tty_noecho(void)
{
	struct termios	t = tty_saved;

	t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	t.c_lflag |= ECHONL | ICANON;
	return (apply(&t));
}

void
tty_restore(void)
{
	if (tty_fd != -1 && tty_changed) {
		(void)tcsetattr(tty_fd, TCSADRAIN, &tty_saved);
		tty_changed = 0;
	}
}

void
tty_forget(void)
{
	size_t	i;

	if (tty_fd == -1)
		return;
	tty_restore();
	for (i = 0; i < TTY_NSIGS; i++)
		(void)sigaction(tty_sigs[i], &tty_old[i], NULL);
	(void)sigaction(SIGTSTP, &tty_old_tstp, NULL);
	(void)sigaction(SIGCONT, &tty_old_cont, NULL);
	tty_fd = -1;
}
