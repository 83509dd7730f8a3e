/*
 * dirwatch.c: has anything in a directory changed since we last looked?
 *
 * An inotify watch on xen_dir lets a request that finds no event reuse the
 * instance map without one stat() per file, so `list available` costs the
 * same with 10 or 1,000 configs.  The watch is armed before the scan it
 * guards, so a change during the scan is an event for the next request.
 *
 * One inotify instance for the whole daemon, the broker's, for its whole
 * life: root's fs.inotify.max_user_instances is shared by every root
 * process on the host, so no worker gets one and no request makes one
 * (issue 17).  The instance is made with the instance map (imap.c), whose
 * shared epoll lets workers see that events wait here without reading
 * them; re-arming moves the watch, never the instance, so that epoll keeps
 * watching the same queue.  What inotify cannot see (a file edited through
 * a hard link elsewhere, a network file system, a symbolic link's target)
 * is covered by the caller: a full scan at least every DIRWATCH_RECHECK_MS,
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

static int		 ifd = -1;	/* the instance */
static pid_t		 ipid;		/* the process it belongs to */
static int		 wd = -1;	/* its watch on the directory */
static int		 armed;
static dev_t		 wdev;
static ino_t		 wino;
static long long	 warmed;	/* util_now_ms() of dirwatch_arm() */

void
dirwatch_use(int fd)
{
	ifd = fd;
	ipid = getpid();
	wd = -1;
	armed = 0;
}

void
dirwatch_close(void)
{
	if (ifd != -1 && wd != -1 && ipid == getpid())
		(void)inotify_rm_watch(ifd, wd);
	wd = -1;
	armed = 0;
}

/*
 * Read every queued event: 1 when none could concern the scan (only names
 * relevant() rejects; relevant NULL: none matters), 0 when a rescan is
 * needed, -1 when the watch itself is gone (directory moved or removed,
 * queue overflow): rescan and watch anew.
 */
static int
drain(int (*relevant)(const char *))
{
	char	buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
		    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t	n;
	size_t	off;
	int	quiet = 1;

	for (;;) {
		n = read(ifd, buf, sizeof(buf));
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
			if (relevant == NULL)
				continue;	/* the whole queue goes */
			if (ev->mask & SELF_EVENTS)
				quiet = -1;
			else if (quiet == 1 && (ev->len == 0 ||
			    relevant(ev->name)))
				quiet = 0;
		}
	}
}

int
dirwatch_arm(const char *dir)
{
	struct stat	st;
	int		nwd;

	armed = 0;
	/* A copy inherited from our parent is the parent's queue: not ours. */
	if (ifd != -1 && ipid != getpid()) {
		(void)close(ifd);
		ifd = -1;
		wd = -1;
	}
	if (ifd == -1) {
		if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
			return (-1);
		ipid = getpid();
	}
	/* The same directory keeps its watch; another one replaces it. */
	if ((nwd = inotify_add_watch(ifd, dir, WATCH_MASK)) == -1) {
		dirwatch_close();
		(void)drain(NULL);	/* workers poll an empty queue */
		return (-1);
	}
	if (wd != -1 && wd != nwd)
		(void)inotify_rm_watch(ifd, wd);
	wd = nwd;
	/* Emptied before the scan: what comes later is news for the next. */
	(void)drain(NULL);
	if (stat(dir, &st) == -1)
		return (-1);
	wdev = st.st_dev;
	wino = st.st_ino;
	warmed = util_now_ms();
	armed = 1;
	return (0);
}

int
dirwatch_quiet(const char *dir, int (*relevant)(const char *))
{
	struct stat	st;
	int		quiet;

	if (!armed || ifd == -1 || ipid != getpid())
		return (0);
	if (util_now_ms() - warmed >= DIRWATCH_RECHECK_MS)
		return (0);
	/* The path may now name another directory (a symlink, a rename). */
	if (stat(dir, &st) == -1 || st.st_dev != wdev || st.st_ino != wino)
		return (0);
	if ((quiet = drain(relevant)) != 1)
		armed = 0;
	return (quiet == 1);
}
