/*
 * main.c: argo-worker, the program every worker is (DESIGN.md 5.2).  The
 * master forks and execs it, so each worker is a fresh image with its own
 * address-space layout, holding no code of the master's or the broker's.
 * Here it takes what the master handed it (handoff.h): its arguments, its
 * descriptors and the sealed memfd of its generation, which it checks
 * like anything it did not make; then worker.c enters the cage and
 * serves.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confwire.h"
#include "handoff.h"
#include "imap.h"
#include "log.h"
#include "util.h"
#include "worker.h"

static struct handoff		h;
static struct sandbox_ids	ids;

static void __attribute__((noreturn))
die(const char *msg)
{
	/* fd 2 is the log relay when the master started us. */
	log_warnx("argo-worker: %s", msg);
	_exit(1);
}

/* The generation's memfd: the header, then the configuration. */
static struct config *
read_handoff(void)
{
	struct stat	 st;
	struct config	*c;
	unsigned char	*buf;
	char		 err[ARGO_ERR_LEN];

	if (fstat(HFD_CONF, &st) == -1 || !S_ISREG(st.st_mode) ||
	    pread(HFD_CONF, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		die("no handoff from the master (argo-worker is started by "
		    "argo-server, never by hand)");
	if (h.h_magic != HANDOFF_MAGIC || h.h_version != HANDOFF_VERSION ||
	    h.h_size != sizeof(h))
		die("handoff of another version: restart argo-server");
	if (h.h_conflen > HANDOFF_MAX_CONF ||
	    (off_t)sizeof(h) + (off_t)h.h_conflen != st.st_size ||
	    h.h_nlisten < 1 || h.h_nlisten > HANDOFF_MAX_LISTEN ||
	    memchr(h.h_chroot, '\0', sizeof(h.h_chroot)) == NULL)
		die("malformed handoff");
	buf = util_xmalloc(h.h_conflen + 1);
	if (pread(HFD_CONF, buf, h.h_conflen, sizeof(h)) !=
	    (ssize_t)h.h_conflen)
		die("short handoff");
	if (confwire_unpack(buf, h.h_conflen, &c, err, sizeof(err)) == -1)
		die(err);
	free(buf);
	(void)close(HFD_CONF);
	return (c);
}

static struct board *
map_board(void)
{
	struct stat	 st;
	void		*p;

	if (fstat(HFD_BOARD, &st) == -1 ||
	    st.st_size != (off_t)sizeof(struct board))
		die("no scoreboard");
	p = mmap(NULL, sizeof(struct board), PROT_READ | PROT_WRITE,
	    MAP_SHARED, HFD_BOARD, 0);
	if (p == MAP_FAILED)
		die("cannot map the scoreboard");
	(void)close(HFD_BOARD);
	return (p);
}

static int
parse_arg(const char *s, long lo, long hi)
{
	long	v;

	if (util_parse_long(s, lo, hi, &v) == -1)
		die("bad arguments (argo-worker is started by argo-server, "
		    "never by hand)");
	return ((int)v);
}

int
main(int argc, char *argv[])
{
	struct worker_env	 env;
	struct config		*conf;
	char			 err[ARGO_ERR_LEN];
	size_t			 i;

	/*
	 * Not dumpable: the exec made us so again, and any process of our
	 * account (nobody, when argo-server does not exist) could otherwise
	 * read a session's password out of our memory.  No core file either.
	 */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	log_init(1, 0);
	log_to_relay(STDERR_FILENO);
	if (argc != 3)
		die("usage: argo-worker SLOT MASTERPID (started by "
		    "argo-server, never by hand)");
	memset(&env, 0, sizeof(env));
	env.we_slot = parse_arg(argv[1], 0, ARGO_HARD_MAX_CLIENTS);
	/* 1: the master is the init of a pid namespace of its own. */
	env.we_master = (pid_t)parse_arg(argv[2], 1, INT32_MAX);
	/*
	 * A worker outliving a killed master would keep the port bound.  The
	 * master's pid is its own word from before the fork: getppid() here
	 * could already be the reaper's, had the master died meanwhile.
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
	    getppid() != env.we_master)
		_exit(1);
	(void)prctl(PR_SET_NAME, "argo-worker", 0, 0, 0);
	log_quick_exit();
	conf = read_handoff();
	log_setdebug(h.h_debug);
	env.we_board = map_board();
	if (imap_attach(HFD_MAP, h.h_signal ? HFD_SIGNAL : -1, err,
	    sizeof(err)) == -1)
		die(err);
	(void)close(HFD_MAP);
	if (!h.h_signal)
		(void)close(HFD_SIGNAL);
	env.we_nlisten = h.h_nlisten;
	for (i = 0; i < env.we_nlisten; i++) {
		env.we_listen[i] = HFD_LISTEN + (int)i;
		env.we_unix[i] = h.h_unix[i] != 0;
	}
	env.we_notify = HFD_NOTIFY;
	env.we_stop = HFD_STOP;
	env.we_broker = HFD_BROKER;
	env.we_generation = h.h_generation;
	if (h.h_drop) {
		ids.sid_uid = (uid_t)h.h_uid;
		ids.sid_gid = (gid_t)h.h_gid;
		ids.sid_chroot = h.h_chroot;
		env.we_ids = &ids;
	}
	worker_main(conf, &env);
	/* NOTREACHED */
}
