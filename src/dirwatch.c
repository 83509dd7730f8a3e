/*
 * dirwatch.c: has anything in a directory changed since we last looked?
 *
 * An inotify watch on xen_dir lets a request that finds no event reuse the
 * instance map without one stat() per file, so `list available` costs the
 * same with 10 or 1,000 configs.  The watch is armed before the scan it
 * guards, so a change during the scan is an event for the next request.
 * Each process has its own inotify instance: a worker must not read the
 * events of another.  The broker keeps one for its own scan and makes one
 * for each worker that asks (dirwatch_open), since a chrooted worker could
 * not make its own.  What inotify cannot see (a file edited through a
 * hard link elsewhere, a network file system, a symbolic link's target) is
 * covered by the caller: a full scan at least every DIRWATCH_RECHECK_MS,
 * and none of this when the directory holds links.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "dirwatch.h"
#include "util.h"

#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | \
			 IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | \
			 IN_DELETE_SELF | IN_MOVE_SELF)
#define SELF_EVENTS	(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | \
			 IN_UNMOUNT | IN_Q_OVERFLOW)

static int		 wfd = -1;
static pid_t		 wpid;
static dev_t		 wdev;
static ino_t		 wino;
static long long	 warmed;	/* util_now_ms() of dirwatch_arm() */

void
dirwatch_close(void)
{
	if (wfd != -1)
		close(wfd);
	wfd = -1;
}

int
dirwatch_arm(const char *dir)
{
	struct stat	st;

	/* Also our copy of an instance inherited from the parent. */
	dirwatch_close();
	if ((wfd = dirwatch_open(dir)) == -1)
		return (-1);
	if (stat(dir, &st) == -1) {
		dirwatch_close();
		return (-1);
	}
	wpid = getpid();
	wdev = st.st_dev;
	wino = st.st_ino;
	warmed = util_now_ms();
	return (0);
}

int
dirwatch_open(const char *dir)
{
	int	fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return (-1);
	if (inotify_add_watch(fd, dir, WATCH_MASK) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
dirwatch_drain(int fd, int (*relevant)(const char *))
{
	char	buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t	n;
	size_t	off;
	int	quiet = 1;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return (quiet);
		if (n <= 0)
			return (-1);
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(const void *)
			    (buf + off);
			if (ev->mask & SELF_EVENTS)
				return (-1);
			if (ev->len == 0 || relevant(ev->name))
				quiet = 0;
		}
	}
}

int
dirwatch_quiet(const char *dir, int (*relevant)(const char *))
{
	struct stat	st;
	int		quiet;

	if (wfd == -1 || wpid != getpid())
		return (0);
	if (util_now_ms() - warmed >= DIRWATCH_RECHECK_MS)
		return (0);
	/* The path may now name another directory (a symlink, a rename). */
	if (stat(dir, &st) == -1 || st.st_dev != wdev || st.st_ino != wino)
		return (0);
	if ((quiet = dirwatch_drain(wfd, relevant)) != 1)
		dirwatch_close();
	return (quiet == 1);
}
