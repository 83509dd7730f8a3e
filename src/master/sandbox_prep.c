/*
 * sandbox_prep.c: runs in the master, at start-up and on every reload:
 * what the cage of the next workers will be (sandbox.c builds it in the
 * worker), and the names of the calls it may report killing one for.  Account lookups go through NSS, which may open files and load
 * modules, so they happen here, never in a chrooted worker.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"
#include "sandbox_prep.h"
#include "util.h"

/* mkdir -p with mode 0755 for what is missing. */
static int
make_dirs(const char *dir)
{
	char	buf[4096];
	size_t	i, len = strlen(dir);

	if (len >= sizeof(buf))
		return (-1);
	memcpy(buf, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return (-1);
		buf[i] = i < len ? '/' : '\0';
	}
	return (0);
}

/*
 * Every directory above: root's, and writable by nobody else unless it is
 * sticky (/tmp), so no one else can swap the chroot for another.
 */
static int
check_parents(const char *dir, char *err, size_t errlen)
{
	char		buf[4096];
	struct stat	st;
	size_t		i, len = strlen(dir);

	if (len >= sizeof(buf))
		return (-1);
	memcpy(buf, dir, len + 1);
	for (i = len; i > 0; i--) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (stat(i > 0 && buf[0] != '\0' ? buf : "/", &st) == -1 ||
		    st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
		    !(st.st_mode & S_ISVTX))) {
			(void)snprintf(err, errlen, "chroot %s: %s must be "
			    "owned by root and not writable by others", dir,
			    buf[0] != '\0' ? buf : "/");
			return (-1);
		}
	}
	return (0);
}

static int
check_dir(const char *dir, char *err, size_t errlen)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	int		 fd, entries = 0;

	if (lstat(dir, &st) == -1 && (errno != ENOENT ||
	    make_dirs(dir) == -1 || lstat(dir, &st) == -1)) {
		(void)snprintf(err, errlen, "chroot %s: %s", dir,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		(void)snprintf(err, errlen, "chroot %s: not a directory", dir);
		return (-1);
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)snprintf(err, errlen, "chroot %s: must be owned by root "
		    "and not writable by group or others", dir);
		return (-1);
	}
	if (check_parents(dir, err, errlen) == -1)
		return (-1);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		(void)snprintf(err, errlen, "chroot %s: %s", dir,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			entries++;
	closedir(d);
	if (entries > 0) {
		(void)snprintf(err, errlen, "chroot %s: must be empty", dir);
		return (-1);
	}
	return (0);
}

int
sandbox_prepare(const struct config *c, struct sandbox *sb, char *err,
    size_t errlen)
{
	static int	 warned;
	struct passwd	*pw;
	const char	*name = c->c_user;

	memset(sb, 0, sizeof(*sb));
	if (geteuid() != 0)
		return (0);		/* nothing to drop: the filter only */
	sb->sb_drop = 1;
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH) {
			(void)snprintf(err, errlen, "user %s: %s", name,
			    strerror(errno));
			return (-1);
		}
		if (!warned)
			log_warnx("user %s does not exist: workers run as %s "
			    "(create it with adduser --system %s)", name,
			    ARGO_FALLBACK_USER, name);
		warned = 1;
		name = ARGO_FALLBACK_USER;
		if ((pw = getpwnam(name)) == NULL) {
			(void)snprintf(err, errlen, "neither user %s nor %s "
			    "exists", c->c_user, ARGO_FALLBACK_USER);
			return (-1);
		}
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		(void)snprintf(err, errlen, "user %s: workers must not run "
		    "with uid or gid 0", name);
		return (-1);
	}
	sb->sb_uid = pw->pw_uid;
	sb->sb_gid = pw->pw_gid;
	util_strlcpy(sb->sb_user, name, sizeof(sb->sb_user));
	if (strlen(c->c_chroot) >= sizeof(sb->sb_chroot)) {
		(void)snprintf(err, errlen, "chroot: path too long");
		return (-1);
	}
	util_strlcpy(sb->sb_chroot, c->c_chroot, sizeof(sb->sb_chroot));
	return (check_dir(sb->sb_chroot, err, errlen));
}

/* For the master's line about a worker its filter killed. */
const char *
sandbox_syscall_name(int nr)
{
	static const struct {
		int		 nr;
		const char	*name;
	} names[] = {
		{ SYS_execve, "execve" }, { SYS_execveat, "execveat" },
		{ SYS_socket, "socket" }, { SYS_connect, "connect" },
		{ SYS_ptrace, "ptrace" }, { SYS_openat, "openat" },
#ifdef SYS_open
		{ SYS_open, "open" },
#endif
#ifdef SYS_fork
		{ SYS_fork, "fork" },
#endif
		{ SYS_clone, "clone" }, { SYS_kill, "kill" },
		{ SYS_bind, "bind" }, { SYS_setuid, "setuid" },
		{ SYS_chroot, "chroot" }, { SYS_mmap, "mmap" },
		{ SYS_mprotect, "mprotect" }, { SYS_ioctl, "ioctl" },
		{ SYS_rt_sigaction, "rt_sigaction" }, { SYS_tgkill, "tgkill" },
	};
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return (names[i].name);
	return (NULL);
}
