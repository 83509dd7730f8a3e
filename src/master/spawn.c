/*
 * spawn.c: fork, then exec argo-worker (DESIGN.md 5.2).  Runs in the
 * master (root when started as root), and in the child between fork and
 * exec, where it lays the worker's descriptors out as handoff.h says and,
 * as root, becomes the workers' account.
 *
 * Why the uid changes here and not in the worker: the worker image holds
 * no code that changes uid (make check looks).  The child keeps two
 * capabilities as ambient ones across the exec, CAP_SYS_CHROOT and
 * CAP_SETPCAP: no uid 0, no file access, just enough for the worker to
 * chroot and empty its bounding set itself (worker/sandbox_enter.c),
 * after which it drops both.
 *
 * Why a held descriptor: the worker is exec'd from the file found at
 * start-up (execveat on an O_PATH descriptor), so a running master never
 * starts a newer, incompatible worker that a package upgrade put in its
 * place; the upgrade restarts the daemon.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confwire.h"
#include "handoff.h"
#include "imap_write.h"
#include "log.h"
#include "spawn.h"
#include "util.h"

#ifndef ARGO_WORKER_PATH
#define ARGO_WORKER_PATH	"/usr/lib/argo-server/argo-worker"
#endif
#define SPAWN_ENV_MAX		8

static int	 exefd = -1;		/* O_PATH, the program */
static char	 exepath[PATH_MAX];
static int	 genfd = -1;		/* the generation's sealed memfd */
static struct sandbox	gensb;		/* and its cage */
static const struct listeners *genl;	/* the master's, for good */
static char	*wenv[SPAWN_ENV_MAX + 1];	/* the worker's environment */

extern char	**environ;

/* Beside us when that file exists (a build tree), else the installed one. */
static void
find_worker(void)
{
	char		self[PATH_MAX];
	struct stat	st;
	ssize_t		n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((size_t)snprintf(exepath, sizeof(exepath), "%s/argo-worker",
		    dirname(self)) < sizeof(exepath) &&
		    lstat(exepath, &st) == 0)
			return;
	}
	(void)snprintf(exepath, sizeof(exepath), "%s", ARGO_WORKER_PATH);
}

/* A sanitizer's settings reach its workers; nothing else of ours does. */
static void
make_env(void)
{
	static const char *const keep[] = { "ASAN_OPTIONS=", "UBSAN_OPTIONS=",
	    "LSAN_OPTIONS=", "TZ=" };
	char	**e;
	size_t	  i, n = 0;

	for (e = environ; e != NULL && *e != NULL && n < SPAWN_ENV_MAX; e++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0) {
				wenv[n++] = util_xstrdup(*e);
				break;
			}
	wenv[n] = NULL;
}

int
spawn_init(char *err, size_t errlen)
{
	struct stat	st;

	find_worker();
	if ((exefd = open(exepath, O_PATH | O_CLOEXEC)) == -1 ||
	    fstat(exefd, &st) == -1) {
		(void)snprintf(err, errlen, "worker program %s: %s", exepath,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) != 0111) {
		(void)snprintf(err, errlen, "worker program %s: not an "
		    "executable file (mode %04o; it must be 0755)", exepath,
		    (unsigned int)(st.st_mode & 07777));
		(void)close(exefd);
		exefd = -1;
		return (-1);
	}
	make_env();
	return (0);
}

const char *
spawn_path(void)
{
	return (exepath);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const unsigned char	*b = p;
	ssize_t			 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		b += w;
		n -= (size_t)w;
	}
	return (0);
}

int
spawn_prepare(const struct config *c, const struct sandbox *sb,
    const struct listeners *l, int gen, char *err, size_t errlen)
{
	struct handoff	 h;
	unsigned char	*conf;
	size_t		 clen, i;
	int		 fd;

	memset(&h, 0, sizeof(h));
	h.h_magic = HANDOFF_MAGIC;
	h.h_version = HANDOFF_VERSION;
	h.h_size = sizeof(h);
	h.h_generation = gen;
	h.h_debug = log_debugging();
	h.h_drop = sb->sb_drop;
	h.h_uid = sb->sb_uid;
	h.h_gid = sb->sb_gid;
	h.h_signal = imap_signal_fd() != -1;
	h.h_nlisten = (uint32_t)l->l_n;
	for (i = 0; i < l->l_n && i < HANDOFF_MAX_LISTEN; i++)
		h.h_unix[i] = (uint8_t)l->l_unix[i];
	(void)snprintf(h.h_chroot, sizeof(h.h_chroot), "%s", sb->sb_chroot);
	conf = confwire_pack(c, &clen);
	h.h_conflen = (uint32_t)clen;
	if (clen > HANDOFF_MAX_CONF) {
		(void)snprintf(err, errlen, "the workers' configuration is %zu "
		    "bytes, over %d", clen, HANDOFF_MAX_CONF);
		free(conf);
		return (-1);
	}
	fd = memfd_create("argo-worker-conf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd == -1 || write_all(fd, &h, sizeof(h)) == -1 ||
	    write_all(fd, conf, clen) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK |
	    F_SEAL_GROW | F_SEAL_SEAL) == -1) {
		(void)snprintf(err, errlen, "the workers' configuration: %s",
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		free(conf);
		return (-1);
	}
	free(conf);
	return (fd);
}

void
spawn_commit(int fd, const struct sandbox *sb, const struct listeners *l)
{
	if (genfd != -1)
		(void)close(genfd);
	genfd = fd;
	gensb = *sb;
	genl = l;
}

int
spawn_become(const struct sandbox *sb)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];
	const unsigned int		keep = (1U << CAP_SYS_CHROOT) |
					    (1U << CAP_SETPCAP);

	/*
	 * The cage's directory is entered here, as root: its parents may be
	 * closed to the workers' account (a 0700 home), and the worker,
	 * holding CAP_SYS_CHROOT but no right to search, chroots to ".".
	 */
	if (chdir(sb->sb_chroot) == -1 || setgroups(0, NULL) == -1 ||
	    setresgid(sb->sb_gid, sb->sb_gid, sb->sb_gid) == -1 ||
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setresuid(sb->sb_uid, sb->sb_uid, sb->sb_uid) == -1)
		return (-1);
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].permitted = data[0].effective = data[0].inheritable = keep;
	if (syscall(SYS_capset, &hdr, data) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_CHROOT, 0,
	    0) == -1 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SETPCAP, 0, 0) ==
	    -1)
		return (-1);
	return (0);
}

/* Child: src[i] onto fd i + HFD_CONF, relay onto 0, 1 and 2, and nothing
 * else open but the program. */
static int
lay_out(const int *src, int n, int relay, int *exe)
{
	int	keep[HFD_LISTEN + HANDOFF_MAX_LISTEN + 1], high[HFD_LISTEN +
		    HANDOFF_MAX_LISTEN], i, k = 0, r;

	/*
	 * syslog's socket first: closelog() after the dup2()s below would
	 * close whatever took its number.
	 */
	log_suspend();
	/* Above every target first: a source may sit where another goes. */
	for (i = 0; i < n; i++)
		if ((high[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64)) == -1)
			return (-1);
	if ((r = fcntl(relay, F_DUPFD_CLOEXEC, 64)) == -1 ||
	    (*exe = fcntl(exefd, F_DUPFD_CLOEXEC, 64)) == -1)
		return (-1);
	for (i = 0; i < 3; i++)
		if (dup2(r, i) == -1)
			return (-1);
	for (i = 0; i < n; i++) {
		if (dup2(high[i], HFD_CONF + i) == -1)
			return (-1);
		keep[k++] = HFD_CONF + i;
	}
	keep[k++] = *exe;
	util_closefrom_except(keep, (size_t)k);
	return (0);
}

static void __attribute__((noreturn))
child(int slot, const struct spawn_fds *fds, pid_t master)
{
	int		 src[HFD_LISTEN - HFD_CONF + HANDOFF_MAX_LISTEN];
	int		 n = 0, i, exe;
	char		 sslot[16], smaster[24], path[64];
	char		*argv[4];
	struct rlimit	 rl = { 0, 0 };

	src[n++] = genfd;
	src[n++] = fds->sf_board;
	src[n++] = fds->sf_broker;
	src[n++] = fds->sf_notify;
	src[n++] = imap_reader_fd();
	/* Without a change signal, a stand-in the worker closes. */
	src[n++] = imap_signal_fd() != -1 ? imap_signal_fd() : genfd;
	src[n++] = fds->sf_stop;
	for (i = 0; i < (int)genl->l_n && i < HANDOFF_MAX_LISTEN; i++)
		src[n++] = genl->l_fd[i];
	/* No core file of ours, nor of the worker's. */
	(void)setrlimit(RLIMIT_CORE, &rl);
	if (lay_out(src, n, fds->sf_relay, &exe) == -1)
		_exit(SPAWN_EXEC_FAILED);
	/* What goes wrong now is said as the worker's, on its relay. */
	log_to_relay(STDERR_FILENO);
	if (gensb.sb_drop && spawn_become(&gensb) == -1) {
		log_warn("cannot become %s in %s", gensb.sb_user,
		    gensb.sb_chroot);
		_exit(SPAWN_EXEC_FAILED);
	}
	(void)snprintf(sslot, sizeof(sslot), "%d", slot);
	(void)snprintf(smaster, sizeof(smaster), "%ld", (long)master);
	argv[0] = (char *)"argo-worker";
	argv[1] = sslot;
	argv[2] = smaster;
	argv[3] = NULL;
	(void)fexecve(exe, argv, wenv);
	/*
	 * Under valgrind (make check-valgrind), whose execveat looks the
	 * descriptor's path up again as the workers' account, which may not
	 * search its directories (a build tree in root's home): the same file
	 * through /proc, kept open for valgrind's own exec to find.
	 */
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", exe);
	(void)fcntl(exe, F_SETFD, 0);
	(void)execve(path, argv, wenv);
	log_warn("cannot execute %s", exepath);
	_exit(SPAWN_EXEC_FAILED);
}

pid_t
spawn_worker(int slot, const struct spawn_fds *fds)
{
	pid_t	pid, self = getpid();

	if ((pid = fork()) == -1) {
		/* Try again at the next tick; never sleep in the master. */
		log_warn("fork");
		return (-1);
	}
	if (pid == 0)
		child(slot, fds, self);
	return (pid);
}
