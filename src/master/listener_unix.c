/*
 * listener_unix.c: the local socket (DESIGN.md 8), made by the master
 * before it forks.  Who may connect is the file's business (socket_mode,
 * socket_group); who connected is the kernel's (SO_PEERCRED, read by the
 * worker for counting and by the broker for the account).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listener.h"
#include "util.h"

#define UNIX_BACKLOG	128

/* The directory: made 0755 when missing (one level, as /run's is). */
static int
make_dir(const char *path, char *err, size_t errlen)
{
	char		 buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const char	*dir;
	struct stat	 st;

	util_strlcpy(buf, path, sizeof(buf));
	dir = dirname(buf);
	if (stat(dir, &st) == 0)
		return (0);
	if (errno == ENOENT && mkdir(dir, 0755) == 0 && chmod(dir, 0755) == 0)
		return (0);
	(void)snprintf(err, errlen, "cannot listen on %s: directory %s: %s",
	    path, dir, strerror(errno));
	return (-1);
}

/*
 * A file at the path: a socket nobody answers on is what a killed daemon
 * leaves, and goes; a daemon that answers keeps it, and we fail (two
 * daemons on one socket would split its clients).
 */
static int
clear_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat	st;
	int		fd, rc, e;

	if (lstat(sun->sun_path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		goto fail;
	}
	if (!S_ISSOCK(st.st_mode)) {
		(void)snprintf(err, errlen, "cannot listen on %s: the file "
		    "exists and is not a socket", sun->sun_path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (rc == 0) {
		(void)snprintf(err, errlen, "cannot listen on %s: another "
		    "server answers there", sun->sun_path);
		return (-1);
	}
	errno = e;
	if (e == ECONNREFUSED && (unlink(sun->sun_path) == 0 ||
	    errno == ENOENT))
		return (0);
fail:
	(void)snprintf(err, errlen, "cannot listen on %s: %s", sun->sun_path,
	    strerror(errno));
	return (-1);
}

int
listener_open_unix(const struct config *c, struct listeners *l, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	const struct group	*gr = NULL;
	mode_t			 old;
	int			 fd = -1, rc;

	if (c->c_socket[0] == '\0')
		return (0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->c_socket) >= sizeof(sun.sun_path)) {
		(void)snprintf(err, errlen, "cannot listen on %s: path too "
		    "long", c->c_socket);
		return (-1);
	}
	util_strlcpy(sun.sun_path, c->c_socket, sizeof(sun.sun_path));
	if (c->c_socket_group[0] != '\0' &&
	    (gr = getgrnam(c->c_socket_group)) == NULL) {
		(void)snprintf(err, errlen, "cannot listen on %s: no group %s",
		    c->c_socket, c->c_socket_group);
		return (-1);
	}
	if (make_dir(c->c_socket, err, errlen) == -1)
		return (-1);
	if (clear_stale(&sun, err, errlen) == -1)
		return (-1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		goto fail;
	/* Born owner-only: nobody gets in before the mode and group are
	 * the configured ones. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (rc == -1)
		goto fail;
	if ((gr != NULL && chown(sun.sun_path, (uid_t)-1, gr->gr_gid) == -1) ||
	    chmod(sun.sun_path, (mode_t)c->c_socket_mode) == -1 ||
	    lstat(sun.sun_path, &st) == -1 || listen(fd, UNIX_BACKLOG) == -1) {
		(void)unlink(sun.sun_path);
		goto fail;
	}
	util_strlcpy(l->l_path, sun.sun_path, sizeof(l->l_path));
	l->l_dev = st.st_dev;
	l->l_ino = st.st_ino;
	l->l_fd[l->l_n] = fd;
	l->l_unix[l->l_n] = 1;
	(void)snprintf(l->l_name[l->l_n], sizeof(l->l_name[0]), "unix:%s",
	    sun.sun_path);
	l->l_n++;
	return (0);
fail:
	(void)snprintf(err, errlen, "cannot listen on %s: %s", c->c_socket,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	return (-1);
}

void
listener_unlink(struct listeners *l)
{
	struct stat	st;

	/* Another daemon may have replaced it since (ours was stale to it). */
	if (l->l_path[0] != '\0' && lstat(l->l_path, &st) == 0 &&
	    st.st_dev == l->l_dev && st.st_ino == l->l_ino)
		(void)unlink(l->l_path);
	l->l_path[0] = '\0';
}
