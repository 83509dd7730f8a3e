/*
 * password.c: where a password may come from, and where it may not.
 *
 * Never argv: any user can read it in ps.  The environment is the
 * caller's own (/proc/PID/environ is not readable by others).  A password
 * file must be a regular file that only its owner can read or write, as
 * ssh demands of private keys: a file that is group- or world-readable
 * is refused rather than used, so that the mistake gets fixed.  The
 * terminal is /dev/tty, not stdin, which may be a pipe of commands.
 * Every buffer that held the password is wiped before it is freed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argo.h"
#include "password.h"
#include "tty.h"
#include "xutil.h"

/* More than a request line can carry: longer is refused, not cut. */
#define PW_MAX		ARGO_MAX_LINE

/* The first line of buf[0..n): its length, the line end dropped. */
static size_t
first_line(char *buf, size_t n)
{
	size_t	i;

	for (i = 0; i < n && buf[i] != '\n'; i++)
		;
	if (i > 0 && buf[i - 1] == '\r')
		i--;
	buf[i] = '\0';
	return (i);
}

static char *
from_file(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		(void)snprintf(err, errlen, "ARGO_PASSWORD_FILE %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	/* fstat, not stat: the file we judge is the file we read. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "ARGO_PASSWORD_FILE %s: not a "
		    "regular file", path);
		(void)close(fd);
		return (NULL);
	}
	if ((st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "ARGO_PASSWORD_FILE %s: mode %04o;"
		    " refused unless 0600 or stricter (chmod 600 %s)", path,
		    (unsigned int)(st.st_mode & 07777), path);
		(void)close(fd);
		return (NULL);
	}
	buf = xmalloc(PW_MAX + 2);
	while (len < PW_MAX + 1 && (n = read(fd, buf + len,
	    PW_MAX + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			(void)snprintf(err, errlen, "ARGO_PASSWORD_FILE %s: "
			    "%s", path, strerror(errno));
			(void)close(fd);
			xfree_secret(buf, PW_MAX + 2);
			return (NULL);
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	(void)close(fd);
	if (first_line(buf, len) > PW_MAX - 1) {
		(void)snprintf(err, errlen, "ARGO_PASSWORD_FILE %s: first line "
		    "too long", path);
		xfree_secret(buf, PW_MAX + 2);
		return (NULL);
	}
	return (buf);
}

static char *
from_terminal(const char *prompt_for, char *err, size_t errlen)
{
	char	*buf, prompt[ARGO_CLIENT_ERR];
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    tty_save(fd) == -1) {
		(void)snprintf(err, errlen, "no password: set ARGO_PASSWORD or"
		    " ARGO_PASSWORD_FILE, or run on a terminal");
		if (fd != -1)
			(void)close(fd);
		return (NULL);
	}
	(void)snprintf(prompt, sizeof(prompt), "Password for %s: ",
	    prompt_for);
	buf = xmalloc(PW_MAX + 2);
	if (tty_noecho() == -1 || xwrite_all(fd, prompt, strlen(prompt)) ==
	    -1) {
		tty_forget();
		(void)close(fd);
		xfree_secret(buf, PW_MAX + 2);
		(void)snprintf(err, errlen, "/dev/tty: %s", strerror(errno));
		return (NULL);
	}
	/* Canonical mode: one read is one line, unless it is very long. */
	while (len < PW_MAX + 1 && (n = read(fd, buf + len,
	    PW_MAX + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	tty_forget();
	(void)close(fd);
	if (first_line(buf, len) > PW_MAX - 1) {
		(void)snprintf(err, errlen, "password too long");
		xfree_secret(buf, PW_MAX + 2);
		return (NULL);
	}
	return (buf);
}

char *
password_get(const char *prompt_for, char *err, size_t errlen)
{
	const char	*env, *file;
	char		*buf, *pw;
	size_t		 len;

	if ((env = getenv("ARGO_PASSWORD")) != NULL && *env != '\0')
		return (xstrdup(env));
	if ((file = getenv("ARGO_PASSWORD_FILE")) != NULL && *file != '\0')
		buf = from_file(file, err, errlen);
	else
		buf = from_terminal(prompt_for, err, errlen);
	if (buf == NULL)
		return (NULL);
	if ((len = strlen(buf)) == 0) {
		(void)snprintf(err, errlen, "empty password");
		xfree_secret(buf, PW_MAX + 2);
		return (NULL);
	}
	/* Exactly its size, so that the caller wipes all of it. */
	pw = xmalloc(len + 1);
	memcpy(pw, buf, len + 1);
	xfree_secret(buf, PW_MAX + 2);
	return (pw);
}
