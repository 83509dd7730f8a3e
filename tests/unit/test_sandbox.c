/*
 * test_sandbox.c: the worker's cage (src/sandbox.c, src/sandbox_prep.c).
 *
 * The seccomp filter, call by call: what must end the process with SIGSYS
 * and the call's number in the report, what is refused softly (libc tries
 * it on its own), and what a worker needs and must keep.  Then what the
 * master accepts as a chroot and an account, and, as root, a real
 * sandbox_enter() seen from outside through /proc.
 *
 * A filter cannot be unloaded, so every check that loads one runs in a
 * forked child, which reports through a MAP_SHARED page and ends with
 * _exit(): after the filter, atexit code (the sanitizers' included) would
 * make calls the filter traps.  Every child is reaped, within a bound;
 * the process is a child subreaper, so what a filter that let fork()
 * through would leave behind comes back to be reaped too; a watchdog
 * alarm bounds the whole run.  The root-only tests skip, saying so, when
 * run as anyone else.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config_load.h"
#include "log.h"
#include "privmsg.h"
#include "sandbox.h"

#define WATCHDOG_S	120
#define CHILD_S		10	/* a child's own alarm */
#define NOBODY		"nobody"

/* How a child ends when it did not die of its filter. */
#define EX_OK		0
#define EX_FAIL		1	/* a check failed: the message says which */
#define EX_NOFILTER	2	/* sandbox_filter() itself failed */
#define EX_RETURNED	3	/* a call that must trap came back */
#define EX_SETUP	4	/* before the filter: not the filter's fault */

/* The page the children write and the parent reads. */
struct shared {
	int	sh_report;		/* sandbox_filter()'s: the trapped call */
	long	sh_ret;			/* what a call that came back returned */
	int	sh_errno;		/* ...and errno */
	char	sh_msg[512];
};

static struct shared	*sh;
static char		 base[] = "/tmp/argo-test-sandbox-XXXXXX";
static int		 have_base;
static uid_t		 nobody_uid;
static gid_t		 nobody_gid;

static long long
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* ------------------------------------------------------------------ */
/* Children. */

typedef void	(*child_fn)(const void *);

static void	cfail(const char *, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

/* A failed check in a child: the message goes to the parent. */
static void
cfail(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(sh->sh_msg, sizeof(sh->sh_msg), fmt, ap);
	va_end(ap);
	_exit(EX_FAIL);
}

#define CHECK(cond) do {						\
	if (!(cond))							\
		cfail("line %d: %s (errno %d: %s)", __LINE__, #cond,	\
		    errno, strerror(errno));				\
} while (0)

/* r must be -1 with errno e: a call the filter answers for the kernel. */
#define CHECK_ERRNO(what, call, e) do {					\
	long	r_ = (long)(call);					\
	int	e_ = errno;						\
									\
	if (r_ != -1 || e_ != (e))					\
		cfail("%s: returned %ld, errno %d (%s), want -1 %s",	\
		    (what), r_, e_, strerror(e_), #e);			\
} while (0)

static void
child_filter(void)
{
	if (sandbox_filter(&sh->sh_report, sh->sh_msg,
	    sizeof(sh->sh_msg)) == -1)
		_exit(EX_NOFILTER);
}

static pid_t
spawn(child_fn fn, const void *arg)
{
	pid_t	pid;

	sh->sh_report = -1;
	sh->sh_ret = 0;
	sh->sh_errno = 0;
	sh->sh_msg[0] = '\0';
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct rlimit	rl = { 0, 0 };

		/* A SIGSYS death per case, and not a core file each. */
		(void)setrlimit(RLIMIT_CORE, &rl);
		/*
		 * cmocka's handlers would turn a child's fault into a test
		 * failure and run the rest of the suite in the child: a
		 * fault is the child's status (int 0x80 faults on kernels
		 * without ia32 emulation).
		 */
		(void)signal(SIGSEGV, SIG_DFL);
		(void)signal(SIGBUS, SIG_DFL);
		(void)signal(SIGILL, SIG_DFL);
		(void)signal(SIGFPE, SIG_DFL);
		alarm(CHILD_S);
		fn(arg);
		_exit(EX_OK);
	}
	return (pid);
}

/* Reap whatever came back to us as subreaper. */
static void
reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* The child's status; one that outlives its own alarm is killed. */
static int
reap(pid_t pid)
{
	long long	end = mono_ms() + (CHILD_S + 5) * 1000;
	pid_t		r;
	int		st = 0;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && mono_ms() < end)
		usleep(1000);
	if (r == 0) {
		(void)kill(pid, SIGKILL);
		r = waitpid(pid, &st, 0);
	}
	assert_int_equal(r, pid);
	reap_orphans();
	return (st);
}

static const char *
describe(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		(void)snprintf(buf, len, "killed by signal %d%s, report %d",
		    WTERMSIG(st), WTERMSIG(st) == SIGSYS ? " (SIGSYS)" : "",
		    sh->sh_report);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EX_RETURNED &&
	    sh->sh_ret == -1)
		(void)snprintf(buf, len, "not trapped: returned -1, errno "
		    "%d (%s)", sh->sh_errno, strerror(sh->sh_errno));
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EX_RETURNED)
		(void)snprintf(buf, len, "not trapped: returned %ld",
		    sh->sh_ret);
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EX_SETUP)
		(void)snprintf(buf, len, "could not set up before the "
		    "filter");
	else if (WIFEXITED(st) && WEXITSTATUS(st) == EX_NOFILTER)
		(void)snprintf(buf, len, "sandbox_filter or _enter failed: "
		    "%s", sh->sh_msg);
	else if (WIFEXITED(st))
		(void)snprintf(buf, len, "exited with %d%s%s",
		    WEXITSTATUS(st), sh->sh_msg[0] ? ": " : "", sh->sh_msg);
	else
		(void)snprintf(buf, len, "status %#x", st);
	return (buf);
}

/* Run fn in a child that must exit 0. */
static void
run_clean(const char *name, child_fn fn, const void *arg)
{
	char	buf[700];
	int	st;

	st = reap(spawn(fn, arg));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != EX_OK)
		fail_msg("%s: %s", name, describe(st, buf, sizeof(buf)));
}

/* Run fn in a child that must die of SIGSYS after trapping nr. */
static void
run_trapped(const char *name, child_fn fn, const void *arg, long nr)
{
	char	buf[700];
	int	st;

	st = reap(spawn(fn, arg));
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS ||
	    sh->sh_report != nr)
		fail_msg("%s: %s, want SIGSYS with report %ld", name,
		    describe(st, buf, sizeof(buf)), nr);
}

/* ------------------------------------------------------------------ */
/* What must trap. */

struct trap_case {
	const char	*tc_name;
	long		 tc_nr;		/* what the report must say */
	long		(*tc_call)(const struct trap_case *);	/* or raw */
	long		 tc_arg[6];
};

/*
 * Each call, should the filter let it through, does no harm: it fails
 * (bad descriptor, NULL pointer), or acts on the child alone, or on
 * /dev/null.  A fork that succeeds has its copy leave at once.
 */
static long
call_raw(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, tc->tc_arg[0], tc->tc_arg[1],
	    tc->tc_arg[2], tc->tc_arg[3], tc->tc_arg[4], tc->tc_arg[5]));
}

static char *const	true_argv[] = { "true", NULL };
static char *const	true_envp[] = { NULL };

static long
call_execve(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, "/bin/true", true_argv, true_envp));
}

static long
call_execveat(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, AT_FDCWD, "/bin/true", true_argv,
	    true_envp, 0));
}

static long
call_sockaddr(const struct trap_case *tc)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(9);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return (syscall(tc->tc_nr, -1, &sin, sizeof(sin)));
}

static long
call_fork(const struct trap_case *tc)
{
	long	r;

	r = call_raw(tc);
	if (r == 0)
		_exit(EX_OK);
	return (r);
}

#ifdef SYS_clone3
static long
call_clone3(const struct trap_case *tc)
{
	/* struct clone_args, version 0: exit_signal is the fifth field. */
	uint64_t	ca[8] = { 0, 0, 0, 0, SIGCHLD, 0, 0, 0 };
	long		r;

	r = syscall(tc->tc_nr, ca, sizeof(ca));
	if (r == 0)
		_exit(EX_OK);
	return (r);
}
#endif

/* Signal 0: only asks whether the parent is there. */
static long
call_tgkill_parent(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, getppid(), getppid(), 0));
}

#ifdef SYS_tkill
static long
call_tkill_parent(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, getppid(), 0));
}
#endif

static long
call_chroot(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, "/"));
}

static long
call_open(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, "/dev/null", tc->tc_arg[0], 0600));
}

static long
call_openat(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, AT_FDCWD, "/dev/null", tc->tc_arg[0],
	    0600));
}

#ifdef SYS_openat2
/* openat2 reads its flags from memory, where no filter can look. */
static long
call_openat2(const struct trap_case *tc)
{
	uint64_t	how[3] = { O_WRONLY, 0, 0 };	/* struct open_how */

	return (syscall(tc->tc_nr, AT_FDCWD, "/dev/null", how,
	    sizeof(how)));
}
#endif

#ifdef SYS_creat
static long
call_creat(const struct trap_case *tc)
{
	return (syscall(tc->tc_nr, "/dev/null", 0600));
}
#endif

/* A page the filter lets us map, made executable afterwards. */
static long
call_mprotect_exec(const struct trap_case *tc)
{
	void	*p;

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		cfail("mmap read-write: %s", strerror(errno));
	return (syscall(tc->tc_nr, p, 4096, PROT_READ | PROT_EXEC,
	    tc->tc_arg[0], 0, 0));
}

/*
 * The kernel's struct sigaction starts with the handler on the
 * architectures this is built for; SIG_IGN needs no restorer.
 */
static long
call_sigsys_ignore(const struct trap_case *tc)
{
	unsigned long	ksa[4] = { (unsigned long)SIG_IGN, 0, 0, 0 };

	return (syscall(tc->tc_nr, SIGSYS, ksa, NULL, (size_t)8));
}

static const struct trap_case	trap_cases[] = {
	{ "execve", SYS_execve, call_execve, { 0 } },
	{ "execveat", SYS_execveat, call_execveat, { 0 } },
	{ "socket", SYS_socket, NULL, { AF_INET, SOCK_STREAM, 0 } },
	{ "socketpair", SYS_socketpair, NULL, { AF_UNIX, SOCK_STREAM, 0, 0 } },
	{ "connect", SYS_connect, call_sockaddr, { 0 } },
	{ "bind", SYS_bind, call_sockaddr, { 0 } },
	{ "listen", SYS_listen, NULL, { -1, 1 } },
	{ "epoll_ctl", SYS_epoll_ctl, NULL, { 0, EPOLL_CTL_ADD, 0, 0 } },
	{ "ptrace(PTRACE_TRACEME)", SYS_ptrace, NULL, { PTRACE_TRACEME } },
#ifdef SYS_fork
	{ "fork", SYS_fork, call_fork, { 0 } },
#endif
	/* clone(SIGCHLD): fork() as glibc makes it. */
	{ "clone", SYS_clone, call_fork, { SIGCHLD, 0, 0, 0, 0 } },
#ifdef SYS_clone3
	{ "clone3", SYS_clone3, call_clone3, { 0 } },
#endif
	{ "kill(1, 0)", SYS_kill, NULL, { 1, 0 } },
	{ "tgkill(parent)", SYS_tgkill, call_tgkill_parent, { 0 } },
#ifdef SYS_tkill
	{ "tkill(parent)", SYS_tkill, call_tkill_parent, { 0 } },
#endif
	{ "setuid(0)", SYS_setuid, NULL, { 0 } },
	{ "setgid(0)", SYS_setgid, NULL, { 0 } },
	{ "setresuid(-1, -1, -1)", SYS_setresuid, NULL, { -1, -1, -1 } },
	{ "setgroups(0, NULL)", SYS_setgroups, NULL, { 0, 0 } },
	{ "capset(NULL, NULL)", SYS_capset, NULL, { 0, 0 } },
	{ "prctl(PR_GET_DUMPABLE)", SYS_prctl, NULL, { PR_GET_DUMPABLE } },
	{ "chroot(\"/\")", SYS_chroot, call_chroot, { 0 } },
	{ "unshare(0)", SYS_unshare, NULL, { 0 } },
	{ "setns(-1, 0)", SYS_setns, NULL, { -1, 0 } },
	{ "mount(NULL)", SYS_mount, NULL, { 0 } },
#ifdef SYS_open
	{ "open O_WRONLY", SYS_open, call_open, { O_WRONLY } },
	{ "open O_RDWR", SYS_open, call_open, { O_RDWR } },
	{ "open O_CREAT", SYS_open, call_open, { O_CREAT } },
	{ "open O_TRUNC", SYS_open, call_open, { O_TRUNC } },
	{ "open O_APPEND", SYS_open, call_open, { O_APPEND } },
#endif
	{ "openat O_WRONLY", SYS_openat, call_openat, { O_WRONLY } },
	{ "openat O_RDWR", SYS_openat, call_openat, { O_RDWR } },
	{ "openat O_CREAT", SYS_openat, call_openat, { O_CREAT } },
	{ "openat O_TRUNC", SYS_openat, call_openat, { O_TRUNC } },
	{ "openat O_APPEND", SYS_openat, call_openat, { O_APPEND } },
	{ "openat O_WRONLY|O_CLOEXEC", SYS_openat, call_openat,
	    { O_WRONLY | O_CLOEXEC } },
	{ "openat O_TMPFILE", SYS_openat, call_openat, { O_TMPFILE } },
#ifdef SYS_openat2
	{ "openat2", SYS_openat2, call_openat2, { 0 } },
#endif
#ifdef SYS_creat
	{ "creat", SYS_creat, call_creat, { 0 } },
#endif
	{ "unlinkat(NULL)", SYS_unlinkat, NULL, { AT_FDCWD, 0, 0 } },
	{ "mkdirat(NULL)", SYS_mkdirat, NULL, { AT_FDCWD, 0, 0700 } },
	{ "mmap PROT_EXEC", SYS_mmap, NULL, { 0, 4096, PROT_READ | PROT_EXEC,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 } },
	{ "mmap PROT_READ|PROT_WRITE|PROT_EXEC", SYS_mmap, NULL, { 0, 4096,
	    PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0 } },
	{ "mprotect +PROT_EXEC", SYS_mprotect, call_mprotect_exec, { 0 } },
#ifdef SYS_pkey_mprotect
	{ "pkey_mprotect +PROT_EXEC", SYS_pkey_mprotect, call_mprotect_exec,
	    { -1 } },
#endif
	{ "rt_sigaction(SIGSYS, SIG_IGN)", SYS_rt_sigaction,
	    call_sigsys_ignore, { 0 } },
	/* The descriptor is never valid: the filter looks at the request. */
	{ "ioctl TIOCSTI", SYS_ioctl, NULL, { -1, TIOCSTI, 0 } },
	{ "ioctl FIOCLEX", SYS_ioctl, NULL, { -1, FIOCLEX, 0 } },
	{ "ioctl FIONBIO", SYS_ioctl, NULL, { -1, FIONBIO, 0 } },
	{ "ioctl TCSETS", SYS_ioctl, NULL, { -1, TCSETS, 0 } },
	/* fcntl commands that aim signals at other processes. */
	{ "fcntl F_SETOWN", SYS_fcntl, NULL, { 0, F_SETOWN, 1 } },
	{ "fcntl F_SETSIG", SYS_fcntl, NULL, { 0, F_SETSIG, 9 } },
#ifdef SYS_io_uring_setup
	/* Its operations would bypass every rule here. */
	{ "io_uring_setup", SYS_io_uring_setup, NULL, { 1, 0 } },
#endif
	{ "process_vm_writev", SYS_process_vm_writev, NULL, { 0 } },
	/* Socket options but a watch's keepalive (cmd_watch.c). */
	{ "setsockopt SO_RCVBUF", SYS_setsockopt, NULL,
	    { -1, SOL_SOCKET, SO_RCVBUF, 0, 4 } },
	{ "setsockopt SO_REUSEADDR", SYS_setsockopt, NULL,
	    { -1, SOL_SOCKET, SO_REUSEADDR, 0, 4 } },
	{ "setsockopt TCP_NODELAY", SYS_setsockopt, NULL,
	    { -1, IPPROTO_TCP, TCP_NODELAY, 0, 4 } },
	/* The right number at the wrong level. */
	{ "setsockopt IPPROTO_TCP/SO_KEEPALIVE", SYS_setsockopt, NULL,
	    { -1, IPPROTO_TCP, SO_KEEPALIVE, 0, 4 } },
	{ "setsockopt SOL_SOCKET/TCP_KEEPIDLE", SYS_setsockopt, NULL,
	    { -1, SOL_SOCKET, TCP_KEEPIDLE, 0, 4 } },
	{ "setsockopt IPPROTO_IP/IP_TTL", SYS_setsockopt, NULL,
	    { -1, IPPROTO_IP, IP_TTL, 0, 4 } },
};

static void
child_trap(const void *arg)
{
	const struct trap_case	*tc = arg;
	long			 r;

	child_filter();
	r = tc->tc_call != NULL ? tc->tc_call(tc) : call_raw(tc);
	sh->sh_ret = r;
	sh->sh_errno = errno;
	_exit(EX_RETURNED);
}

/* Every case runs; the failures are listed, then counted. */
static void
test_forbidden_calls(void **state)
{
	const size_t	 n = sizeof(trap_cases) / sizeof(trap_cases[0]);
	char		 buf[700];
	size_t		 i, bad = 0;
	int		 st;

	(void)state;
	for (i = 0; i < n; i++) {
		const struct trap_case	*tc = &trap_cases[i];

		st = reap(spawn(child_trap, tc));
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS &&
		    sh->sh_report == tc->tc_nr)
			continue;
		print_error("case %s (nr %ld): %s\n", tc->tc_name, tc->tc_nr,
		    describe(st, buf, sizeof(buf)));
		bad++;
	}
	if (bad > 0)
		fail_msg("%zu of %zu forbidden calls not trapped as they "
		    "should be", bad, n);
}

/* What the master's log names. */
static void
test_syscall_names(void **state)
{
	(void)state;
	assert_string_equal(sandbox_syscall_name(SYS_execve), "execve");
	assert_string_equal(sandbox_syscall_name(SYS_socket), "socket");
	assert_string_equal(sandbox_syscall_name(SYS_openat), "openat");
	assert_string_equal(sandbox_syscall_name(SYS_ioctl), "ioctl");
	assert_string_equal(sandbox_syscall_name(SYS_rt_sigaction),
	    "rt_sigaction");
	assert_string_equal(sandbox_syscall_name(SYS_tgkill), "tgkill");
	assert_string_equal(sandbox_syscall_name(SYS_clone), "clone");
	assert_null(sandbox_syscall_name(SYS_getpid));
	assert_null(sandbox_syscall_name(-1));
}

/* ------------------------------------------------------------------ */
/* A blocked SIGSYS, and the other system call ABIs. */

static void
child_blocked(const void *arg)
{
	sigset_t	set;

	if (arg != NULL)
		sigfillset(&set);
	else {
		sigemptyset(&set);
		sigaddset(&set, SIGSYS);
	}
	child_filter();
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	_exit(EX_RETURNED);
}

/*
 * The kernel unblocks a trap's SIGSYS and makes it fatal.  It also puts
 * the default action back first, so our reporter does not run: the report
 * may stay -1, but it must not lie.
 */
static void
test_blocked_sigsys(void **state)
{
	static const int	all = 1;
	const void		*masks[] = { NULL, &all };
	const char		*names[] = { "SIGSYS blocked", "all blocked" };
	char			 buf[700];
	size_t			 i;
	int			 st;

	(void)state;
	for (i = 0; i < 2; i++) {
		st = reap(spawn(child_blocked, masks[i]));
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS ||
		    (sh->sh_report != -1 && sh->sh_report != SYS_socket))
			fail_msg("%s: %s, want SIGSYS", names[i],
			    describe(st, buf, sizeof(buf)));
	}
}

#if defined(__x86_64__) && !defined(__ILP32__)
#define X32_SYSCALL_BIT	0x40000000L
#define I386_GETPID	20

/* getpid through the 32-bit entry point: i386's numbers, its ABI. */
static long
int80_getpid(void)
{
	long	r = I386_GETPID;

	__asm__ volatile ("int $0x80" : "+a" (r) : :
	    "memory", "cc", "r8", "r9", "r10", "r11");
	return (r);
}

static void
child_int80_probe(const void *arg)
{
	(void)arg;
	_exit(int80_getpid() == getpid() ? EX_OK : EX_FAIL);
}

static void
child_foreign_abi(const void *arg)
{
	child_filter();
	if (arg != NULL)
		sh->sh_ret = int80_getpid();
	else
		sh->sh_ret = syscall(X32_SYSCALL_BIT | SYS_getpid);
	sh->sh_errno = errno;
	_exit(EX_RETURNED);
}

/*
 * Another ABI has other numbers: its calls kill outright (no report),
 * whatever the number means there.
 */
static void
test_foreign_abi(void **state)
{
	static const int	use_int80 = 1;
	char			buf[700];
	int			st;

	(void)state;
	st = reap(spawn(child_foreign_abi, NULL));
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS ||
	    sh->sh_report != -1)
		fail_msg("x32 getpid: %s, want SIGSYS without report",
		    describe(st, buf, sizeof(buf)));

	/* Kernels built or booted without ia32 emulation have no int 0x80. */
	st = reap(spawn(child_int80_probe, NULL));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != EX_OK) {
		print_message("skipped i386: int 0x80 does not work here\n");
		return;
	}
	st = reap(spawn(child_foreign_abi, &use_int80));
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS ||
	    sh->sh_report != -1)
		fail_msg("i386 getpid: %s, want SIGSYS without report",
		    describe(st, buf, sizeof(buf)));
}
#else
static void
test_foreign_abi(void **state)
{
	(void)state;
	print_message("skipped: x86-64 only\n");
	skip();
}
#endif

/* ------------------------------------------------------------------ */
/* Refused softly. */

static void
child_soft(const void *arg)
{
	struct termios	 tio;
	FILE		*f;
	int		 p[2], sv[2], n;

	(void)arg;
	if (pipe(p) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		_exit(EX_SETUP);
	child_filter();

	/* EACCES whether or not the file is there: no lookup is made. */
	CHECK_ERRNO("openat / O_RDONLY",
	    syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY), EACCES);
	CHECK_ERRNO("openat /dev/null O_RDONLY|O_CLOEXEC|O_NOFOLLOW",
	    syscall(SYS_openat, AT_FDCWD, "/dev/null",
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), EACCES);
	/* opendir()'s flags: O_DIRECTORY is a read. */
	CHECK_ERRNO("openat / O_RDONLY|O_DIRECTORY",
	    syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY),
	    EACCES);
	{
		DIR	*dp;

		errno = 0;
		dp = opendir("/");
		CHECK(dp == NULL && errno == EACCES);
		if (dp != NULL)
			(void)closedir(dp);
	}
	CHECK_ERRNO("openat missing O_RDONLY",
	    syscall(SYS_openat, AT_FDCWD, "/nonexistent/argo", O_RDONLY),
	    EACCES);
#ifdef SYS_open
	CHECK_ERRNO("open / O_RDONLY", syscall(SYS_open, "/", O_RDONLY),
	    EACCES);
#endif
	/* As libc's callers meet it. */
	CHECK_ERRNO("open(3) /etc/passwd", open("/etc/passwd", O_RDONLY),
	    EACCES);
	errno = 0;
	f = fopen("/etc/passwd", "r");
	CHECK(f == NULL && errno == EACCES);

	/* TCGETS: "not a terminal", even for one. */
	CHECK_ERRNO("ioctl TCGETS pipe",
	    syscall(SYS_ioctl, p[0], TCGETS, &tio), ENOTTY);
	CHECK_ERRNO("ioctl TCGETS stdin",
	    syscall(SYS_ioctl, 0, TCGETS, &tio), ENOTTY);
	errno = 0;
	CHECK(isatty(p[0]) == 0 && errno == ENOTTY);
	CHECK(isatty(0) == 0);

	/* FIONREAD is the kernel's to answer. */
	n = -1;
	CHECK(syscall(SYS_ioctl, p[0], FIONREAD, &n) == 0 && n == 0);
	CHECK(write(p[1], "hello", 5) == 5);
	CHECK(syscall(SYS_ioctl, p[0], FIONREAD, &n) == 0 && n == 5);
	CHECK(send(sv[0], "abc", 3, 0) == 3);
	CHECK(ioctl(sv[1], FIONREAD, &n) == 0 && n == 3);
	CHECK_ERRNO("ioctl FIONREAD bad fd",
	    syscall(SYS_ioctl, 999, FIONREAD, &n), EBADF);
	_exit(EX_OK);
}

static void
test_soft_denials(void **state)
{
	(void)state;
	run_clean("soft denials", child_soft, NULL);
}

/* ------------------------------------------------------------------ */
/* What a worker does, after its filter. */

static volatile sig_atomic_t	got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/*
 * Pass fd over sv[0], receive it on sv[1], with the broker channel's own
 * functions: what the filter must allow is what they call.
 */
static int
pass_fd(const int sv[2], int fd)
{
	char	byte = 'f';
	int	got = -1;

	if (privmsg_send(sv[0], &byte, 1, fd, 0) == -1)
		return (-1);
	byte = 0;
	if (privmsg_recv(sv[1], &byte, 1, &got, 0) != 1 || byte != 'f') {
		if (got != -1)
			(void)close(got);
		return (-1);
	}
	return (got);
}

static void
child_allowed(const void *arg)
{
	struct sockaddr_in	 sin, peer, local;
	struct epoll_event	 ev;
	struct sigaction	 sa;
	struct timespec		 ts, ts2;
	struct timeval		 tv;
	struct pollfd		 pfd;
	struct stat		 st;
	struct iovec		 iov[2];
	sigset_t		 set, pend;
	stack_t			 ss;
	socklen_t		 len;
	pid_t			 pid = getpid(), ppid = getppid();
	uid_t			 uid = getuid();
	gid_t			 gid = getgid();
	char			 buf[64], a[3], b[3], *big, *grown, *small;
	char			*blocks[64];
	void			*pg;
	int			 p[2], sv[2], lfd, cfd, afd, ep, fd, i;

	(void)arg;
	/* What the master hands a worker: made before its filter. */
	if (pipe(p) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    (cfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		_exit(EX_SETUP);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(sin);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len) == -1 ||
	    connect(cfd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		_exit(EX_SETUP);
	/* An epoll is filled before the filter, which forbids epoll_ctl. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = p[0];
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == -1)
		_exit(EX_SETUP);
	child_filter();

	/* Identity. */
	CHECK(getpid() == pid);
	CHECK(syscall(SYS_getpid) == pid);
	CHECK(syscall(SYS_gettid) == pid);
	CHECK(getppid() == ppid);
	CHECK(getuid() == uid && geteuid() == uid);
	CHECK(getgid() == gid && getegid() == gid);

	/* A client: accept, talk, hang up. */
	len = sizeof(peer);
	afd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	CHECK(afd != -1);
	len = sizeof(local);
	CHECK(getsockname(cfd, (struct sockaddr *)&local, &len) == 0);
	CHECK(peer.sin_port == local.sin_port);
	len = sizeof(local);
	CHECK(getpeername(afd, (struct sockaddr *)&local, &len) == 0);
	CHECK(local.sin_port == peer.sin_port);
	CHECK(send(cfd, "ping", 4, 0) == 4);
	CHECK(recv(afd, buf, sizeof(buf), 0) == 4 && memcmp(buf, "ping", 4) ==
	    0);
	CHECK(sendto(afd, "pong", 4, MSG_NOSIGNAL, NULL, 0) == 4);
	CHECK(recvfrom(cfd, buf, sizeof(buf), 0, NULL, NULL) == 4);
	/* A watching session's keepalive, the only socket options. */
	i = 1;
	CHECK(setsockopt(afd, SOL_SOCKET, SO_KEEPALIVE, &i, sizeof(i)) == 0);
	i = 20;
	CHECK(setsockopt(afd, IPPROTO_TCP, TCP_KEEPIDLE, &i, sizeof(i)) == 0);
	i = 10;
	CHECK(setsockopt(afd, IPPROTO_TCP, TCP_KEEPINTVL, &i, sizeof(i)) ==
	    0);
	i = 3;
	CHECK(setsockopt(afd, IPPROTO_TCP, TCP_KEEPCNT, &i, sizeof(i)) == 0);
	i = 50000;
	CHECK(setsockopt(afd, IPPROTO_TCP, TCP_USER_TIMEOUT, &i,
	    sizeof(i)) == 0);
	CHECK(shutdown(cfd, SHUT_WR) == 0);
	CHECK(recv(afd, buf, sizeof(buf), 0) == 0);
	CHECK(close(afd) == 0 && close(cfd) == 0);

	/* The pipe, plain and scattered. */
	CHECK(write(p[1], "abc", 3) == 3);
	CHECK(read(p[0], buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0);
	iov[0].iov_base = "xyz";
	iov[0].iov_len = 3;
	iov[1].iov_base = "123";
	iov[1].iov_len = 3;
	CHECK(writev(p[1], iov, 2) == 6);
	iov[0].iov_base = a;
	iov[1].iov_base = b;
	CHECK(readv(p[0], iov, 2) == 6 && memcmp(a, "xyz", 3) == 0 &&
	    memcmp(b, "123", 3) == 0);
	CHECK(fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK_ERRNO("lseek pipe", lseek(p[0], 0, SEEK_CUR), ESPIPE);
	CHECK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0);
	CHECK_ERRNO("read empty pipe", read(p[0], buf, 1), EAGAIN);

	/* A descriptor from the broker, over a socketpair. */
	fd = pass_fd(sv, p[1]);
	CHECK(fd >= 0 && fd != p[1]);
	CHECK(write(fd, "q", 1) == 1 && read(p[0], buf, 1) == 1 &&
	    buf[0] == 'q');
	CHECK(close(fd) == 0);

	/* Waiting. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 0) == 0);
	CHECK(write(p[1], "r", 1) == 1);
	CHECK(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLIN));
	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	CHECK(ppoll(&pfd, 1, &ts, NULL) == 1);
	CHECK(epoll_wait(ep, &ev, 1, 1000) == 1 && ev.data.fd == p[0]);
	CHECK(read(p[0], buf, 1) == 1);
	CHECK(epoll_wait(ep, &ev, 1, 0) == 0);

	/* Time; the raw calls, since the vDSO would not ask the filter. */
	CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts2) == 0);
	CHECK(syscall(SYS_gettimeofday, &tv, NULL) == 0);
	CHECK(time(NULL) != (time_t)-1);
	ts2.tv_sec = 0;
	ts2.tv_nsec = 1000000;
	CHECK(nanosleep(&ts2, NULL) == 0);
	CHECK(syscall(SYS_nanosleep, &ts2, NULL) == 0);
	CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts2, NULL) == 0);
	CHECK(sched_yield() == 0);
	CHECK(getrandom(buf, 16, 0) == 16);

	/* Memory: brk, and mmap past the 128 KiB threshold. */
	small = malloc(64);
	CHECK(small != NULL);
	memset(small, 1, 64);
	for (i = 0; i < 64; i++) {
		blocks[i] = malloc(4000);
		CHECK(blocks[i] != NULL);
		memset(blocks[i], i, 4000);
	}
	for (i = 0; i < 64; i++)
		free(blocks[i]);
	big = malloc(1 << 20);
	CHECK(big != NULL);
	memset(big, 2, 1 << 20);
	grown = realloc(big, 4 << 20);		/* mremap */
	CHECK(grown != NULL && grown[(1 << 20) - 1] == 2);
	big = grown;
	memset(big, 3, 4 << 20);
	free(big);
	big = calloc(1, 256 * 1024);
	CHECK(big != NULL && big[256 * 1024 - 1] == 0);
	free(big);
	free(small);
	pg = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pg != MAP_FAILED);
	CHECK(mprotect(pg, 4096, PROT_READ) == 0);
	CHECK(madvise(pg, 8192, MADV_DONTNEED) == 0);
	CHECK(munmap(pg, 8192) == 0);

	/* Signals: handlers, masks, and raise() to ourselves. */
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_usr1;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0 && got_usr1 == 1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	CHECK(raise(SIGUSR1) == 0 && got_usr1 == 1);
	CHECK(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1) == 1);
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0 && got_usr1 == 2);
	CHECK(syscall(SYS_tgkill, pid, pid, SIGUSR1) == 0 && got_usr1 == 3);
	ss.ss_sp = malloc(SIGSTKSZ);
	ss.ss_size = SIGSTKSZ;
	ss.ss_flags = 0;
	CHECK(ss.ss_sp != NULL && sigaltstack(&ss, NULL) == 0);

	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	_exit(EX_OK);
}

static void
test_allowed_calls(void **state)
{
	(void)state;
	run_clean("allowed calls", child_allowed, NULL);
}

/* ------------------------------------------------------------------ */
/* sandbox_prepare(). */

static int
lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return (-1);
	if (uid != NULL)
		*uid = pw.pw_uid;
	if (gid != NULL)
		*gid = pw.pw_gid;
	return (0);
}

static int
need_root(void)
{
	if (geteuid() == 0)
		return (1);
	print_message("skipped: needs root\n");
	return (0);
}

static void
path(char *buf, size_t len, const char *name)
{
	int	n;

	n = snprintf(buf, len, "%s/%s", base, name);
	assert_true(n > 0 && (size_t)n < len);
}

/* An empty directory of root's, mode exactly as given (not umask's). */
static void
make_dir(const char *dir, mode_t mode)
{
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chmod(dir, mode), 0);
}

static struct config *
load(const char *user, const char *chroot_dir)
{
	struct config	*c = NULL;
	char		 text[PATH_MAX + 128], err[256] = "";

	(void)snprintf(text, sizeof(text), "[server]\nuser = %s\n"
	    "chroot = %s\n", user, chroot_dir);
	if (config_load_string("t.conf", text, &c, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	return (c);
}

static int
prepare_conf(const struct config *c, struct sandbox *sb, char *err,
    size_t len)
{
	/* sandbox_prepare must set everything. */
	memset(sb, 0xa5, sizeof(*sb));
	err[0] = '\0';
	return (sandbox_prepare(c, sb, err, len));
}

static int
prepare(const char *user, const char *chroot_dir, struct sandbox *sb,
    char *err, size_t len)
{
	struct config	*c = load(user, chroot_dir);
	int		 rc;

	rc = prepare_conf(c, sb, err, len);
	config_free(c);
	return (rc);
}

static void
expect_refused(const char *user, const char *dir, const char *want)
{
	struct sandbox	sb;
	char		err[ARGO_ERR_LEN];

	if (prepare(user, dir, &sb, err, sizeof(err)) != -1)
		fail_msg("%s for %s: accepted, want \"%s\"", dir, user, want);
	if (strstr(err, want) == NULL)
		fail_msg("%s for %s: error \"%s\" lacks \"%s\"", dir, user, err,
		    want);
}

static void
test_prepare_accepts(void **state)
{
	struct sandbox	sb;
	struct stat	st;
	char		dir[PATH_MAX], err[ARGO_ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "ok");
	make_dir(dir, 0755);
	if (prepare(NOBODY, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("%s refused: %s", dir, err);
	assert_int_equal(sb.sb_drop, 1);
	assert_true(sb.sb_uid != 0 && sb.sb_gid != 0);
	assert_int_equal(sb.sb_uid, nobody_uid);
	assert_int_equal(sb.sb_gid, nobody_gid);
	assert_string_equal(sb.sb_user, NOBODY);
	assert_string_equal(sb.sb_chroot, dir);
	/* Checked, not touched. */
	assert_int_equal(lstat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
}

static void
test_prepare_creates(void **state)
{
	struct sandbox	sb;
	struct stat	st;
	char		dir[PATH_MAX], top[PATH_MAX], err[ARGO_ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	path(top, sizeof(top), "made");
	path(dir, sizeof(dir), "made/var/empty");
	assert_int_equal(lstat(top, &st), -1);
	if (prepare(NOBODY, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("%s refused: %s", dir, err);
	assert_int_equal(sb.sb_drop, 1);
	assert_string_equal(sb.sb_chroot, dir);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & (S_IWGRP | S_IWOTH), 0);
	assert_int_equal(lstat(top, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* And once made, it is accepted as it is. */
	if (prepare(NOBODY, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("%s refused the second time: %s", dir, err);
}

static void
test_prepare_not_empty(void **state)
{
	static const char *const	entries[] = { "file", ".hidden", "dir" };
	char				dir[PATH_MAX], p[PATH_MAX + 16];
	size_t				i;
	int				fd;

	(void)state;
	if (!need_root())
		skip();
	for (i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		(void)snprintf(p, sizeof(p), "full%zu", i);
		path(dir, sizeof(dir), p);
		make_dir(dir, 0755);
		(void)snprintf(p, sizeof(p), "%s/%s", dir, entries[i]);
		if (strcmp(entries[i], "dir") == 0)
			assert_int_equal(mkdir(p, 0755), 0);
		else {
			fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
			assert_true(fd >= 0);
			close(fd);
		}
		expect_refused(NOBODY, dir, "must be empty");
	}
}

static void
test_prepare_writable(void **state)
{
	static const mode_t	modes[] = { 0775, 0757, 0777, 01777, 0735 };
	char			dir[PATH_MAX], name[32];
	size_t			i;

	(void)state;
	if (!need_root())
		skip();
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		(void)snprintf(name, sizeof(name), "mode%04o",
		    (unsigned)modes[i]);
		path(dir, sizeof(dir), name);
		make_dir(dir, modes[i]);
		expect_refused(NOBODY, dir, "not writable by group or others");
	}
	/* Not root's: its owner could fill it. */
	path(dir, sizeof(dir), "owned");
	make_dir(dir, 0755);
	assert_int_equal(chown(dir, nobody_uid, nobody_gid), 0);
	expect_refused(NOBODY, dir, "must be owned by root");
	/* A parent others may write (not sticky) could swap it. */
	path(dir, sizeof(dir), "openparent");
	make_dir(dir, 0777);
	assert_int_equal(chmod(dir, 0777), 0);
	path(dir, sizeof(dir), "openparent/empty");
	make_dir(dir, 0755);
	expect_refused(NOBODY, dir, "not writable by others");
}

static void
test_prepare_not_dir(void **state)
{
	char	dir[PATH_MAX], target[PATH_MAX];
	int	fd;

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "plainfile");
	fd = open(dir, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	close(fd);
	expect_refused(NOBODY, dir, "not a directory");
	/* A link is refused even to a good directory: it can be turned. */
	path(target, sizeof(target), "target");
	make_dir(target, 0755);
	path(dir, sizeof(dir), "link");
	assert_int_equal(symlink(target, dir), 0);
	expect_refused(NOBODY, dir, "not a directory");
}

static void
test_prepare_users(void **state)
{
	static const char	 ghost[] = "argo-test-no-such-user";
	struct sandbox		 sb;
	char			 dir[PATH_MAX], err[ARGO_ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "users");
	make_dir(dir, 0755);
	assert_int_equal(lookup_user(ghost, NULL, NULL), -1);
	/* Missing: nobody, with a warning. */
	if (prepare(ghost, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("user %s refused: %s", ghost, err);
	assert_int_equal(sb.sb_drop, 1);
	assert_string_equal(sb.sb_user, NOBODY);
	assert_int_equal(sb.sb_uid, nobody_uid);
	assert_int_equal(sb.sb_gid, nobody_gid);
	/* Root, never. */
	expect_refused("root", dir, "must not run with uid or gid 0");
}

static void
test_prepare_long_path(void **state)
{
	struct config	*c;
	struct sandbox	 sb;
	char		 dir[PATH_MAX], err[ARGO_ERR_LEN];
	char		*longp;

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "short");
	c = load(NOBODY, dir);
	/* Longer than a config line may be: set behind the loader's back. */
	longp = malloc(PATH_MAX + 2);
	assert_non_null(longp);
	memset(longp, 'a', PATH_MAX + 1);
	longp[0] = '/';
	longp[PATH_MAX + 1] = '\0';
	free(c->c_chroot);
	c->c_chroot = longp;
	assert_int_equal(prepare_conf(c, &sb, err, sizeof(err)), -1);
	if (strstr(err, "too long") == NULL)
		fail_msg("error \"%s\" lacks \"too long\"", err);
	config_free(c);
}

static void
child_prepare_unprivileged(const void *arg)
{
	struct config	*c = NULL;
	struct sandbox	 sb;
	const char	*dir = arg;
	char		 text[PATH_MAX + 128], err[ARGO_ERR_LEN];

	if (geteuid() == 0 && (setgroups(0, NULL) == -1 ||
	    setresgid(nobody_gid, nobody_gid, nobody_gid) == -1 ||
	    setresuid(nobody_uid, nobody_uid, nobody_uid) == -1))
		_exit(EX_SETUP);
	CHECK(geteuid() != 0);
	/* Not load(): no cmocka assertion may run in a child. */
	(void)snprintf(text, sizeof(text), "[server]\nuser = %s\n"
	    "chroot = %s\n", NOBODY, dir);
	if (config_load_string("t.conf", text, &c, err, sizeof(err)) != 0)
		cfail("config: %s", err);
	memset(&sb, 0xa5, sizeof(sb));
	if (sandbox_prepare(c, &sb, err, sizeof(err)) != 0)
		cfail("refused: %s", err);
	CHECK(sb.sb_drop == 0);
	config_free(c);
	_exit(EX_OK);
}

/*
 * Not root: nothing to drop, the filter only.  As root, in a child that
 * has become nobody, with the chroot's parent writable to it, so that a
 * directory made when none should be would show.
 */
static void
test_prepare_unprivileged(void **state)
{
	struct stat	st;
	char		dir[PATH_MAX], top[PATH_MAX];

	(void)state;
	path(top, sizeof(top), "open");
	make_dir(top, 0777);
	path(dir, sizeof(dir), "open/never/made");
	run_clean("sandbox_prepare unprivileged", child_prepare_unprivileged,
	    dir);
	path(dir, sizeof(dir), "open/never");
	assert_int_equal(lstat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* ------------------------------------------------------------------ */
/* sandbox_enter(). */

struct enter_arg {
	const struct sandbox	*ea_sb;
	int			 ea_ready;	/* child writes 'r' here */
	int			 ea_go;		/* and waits for a byte */
	dev_t			 ea_dev;	/* of the chroot, when dropping */
	ino_t			 ea_ino;
	uid_t			 ea_uid;	/* what the cage must give */
	gid_t			 ea_gid;
};

static void
child_enter(const void *v)
{
	const struct enter_arg	*ea = v;
	struct stat		 st;
	uid_t			 ru, eu, su;
	gid_t			 rg, eg, sg;
	gid_t			 groups[2] = { 0, nobody_gid };
	char			 c;

	/* A master with supplementary groups: the cage must shed them. */
	if (ea->ea_sb->sb_drop && setgroups(2, groups) == -1)
		_exit(EX_SETUP);
	if (sandbox_enter(ea->ea_sb, &sh->sh_report, sh->sh_msg,
	    sizeof(sh->sh_msg)) == -1)
		_exit(EX_NOFILTER);
	CHECK(write(ea->ea_ready, "r", 1) == 1);
	/* The parent reads our /proc/PID/status meanwhile. */
	CHECK(read(ea->ea_go, &c, 1) == 1);

	CHECK(getresuid(&ru, &eu, &su) == 0);
	CHECK(ru == ea->ea_uid && eu == ea->ea_uid && su == ea->ea_uid);
	CHECK(getresgid(&rg, &eg, &sg) == 0);
	CHECK(rg == ea->ea_gid && eg == ea->ea_gid && sg == ea->ea_gid);
	CHECK(getuid() == ea->ea_uid && geteuid() == ea->ea_uid);
	if (ea->ea_sb->sb_drop) {
		/* Our / is the empty directory, and .. leads nowhere. */
		CHECK(stat("/", &st) == 0 && st.st_dev == ea->ea_dev &&
		    st.st_ino == ea->ea_ino);
		CHECK(stat("/..", &st) == 0 && st.st_dev == ea->ea_dev &&
		    st.st_ino == ea->ea_ino);
		CHECK(stat(".", &st) == 0 && st.st_ino == ea->ea_ino);
		CHECK(stat("/proc", &st) == -1 && errno == ENOENT);
		CHECK(stat("/etc/passwd", &st) == -1 && errno == ENOENT);
	}
	CHECK_ERRNO("open / in the cage", open("/", O_RDONLY), EACCES);
	_exit(EX_OK);
}

/* The value of "Key:" in a /proc status, up to its line's end. */
static const char *
field(const char *status, const char *key, char *out, size_t len)
{
	const char	*p, *e;
	char		 k[64];
	size_t		 n;

	(void)snprintf(k, sizeof(k), "\n%s:", key);
	if ((p = strstr(status, k)) == NULL)
		return ("(missing)");
	p += strlen(k);
	while (*p == '\t' || *p == ' ')
		p++;
	if ((e = strchr(p, '\n')) == NULL)
		e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	n = (size_t)(e - p) < len - 1 ? (size_t)(e - p) : len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return (out);
}

static void
expect_field(const char *status, const char *key, const char *want)
{
	char	got[128];

	field(status, key, got, sizeof(got));
	if (strcmp(got, want) != 0)
		fail_msg("/proc status %s: \"%s\", want \"%s\"", key, got,
		    want);
}

/*
 * Enter in a child, look at it from here while it waits, then let it
 * check what it sees from inside.  The child is released and reaped
 * before anything is asserted.
 */
static void
enter_and_inspect(const struct sandbox *sb, uid_t uid, gid_t gid)
{
	struct enter_arg	 ea;
	struct pollfd		 pfd;
	struct stat		 st;
	char			 status[8192], rootlink[PATH_MAX], real[PATH_MAX];
	char			 want[128], buf[700], procp[64];
	char			 c = 0;
	ssize_t			 n = -1, ln = -1;
	pid_t			 pid;
	int			 ready[2], go[2], fd, wst;

	memset(&ea, 0, sizeof(ea));
	ea.ea_sb = sb;
	ea.ea_uid = uid;
	ea.ea_gid = gid;
	if (sb->sb_drop) {
		assert_int_equal(stat(sb->sb_chroot, &st), 0);
		ea.ea_dev = st.st_dev;
		ea.ea_ino = st.st_ino;
		assert_non_null(realpath(sb->sb_chroot, real));
	}
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	ea.ea_ready = ready[1];
	ea.ea_go = go[0];
	pid = spawn(child_enter, &ea);
	close(ready[1]);
	close(go[0]);

	pfd.fd = ready[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, CHILD_S * 1000) == 1 && read(ready[0], &c, 1) == 1 &&
	    c == 'r') {
		(void)snprintf(procp, sizeof(procp), "/proc/%ld/status",
		    (long)pid);
		if ((fd = open(procp, O_RDONLY | O_CLOEXEC)) != -1) {
			n = read(fd, status, sizeof(status) - 1);
			close(fd);
		}
		(void)snprintf(procp, sizeof(procp), "/proc/%ld/root",
		    (long)pid);
		ln = readlink(procp, rootlink, sizeof(rootlink) - 1);
	}
	/* Released whatever happened: a write, or EOF when we close. */
	if (write(go[1], "g", 1) == -1) {
		/* It is gone already: reap() says how. */
	}
	close(go[1]);
	close(ready[0]);
	wst = reap(pid);

	if (c != 'r' || !WIFEXITED(wst) || WEXITSTATUS(wst) != EX_OK)
		fail_msg("sandbox_enter child: %s",
		    describe(wst, buf, sizeof(buf)));
	if (n <= 0)
		fail_msg("cannot read /proc/%ld/status", (long)pid);
	status[n] = '\0';
	(void)snprintf(want, sizeof(want), "%lu\t%lu\t%lu\t%lu",
	    (unsigned long)uid, (unsigned long)uid, (unsigned long)uid,
	    (unsigned long)uid);
	expect_field(status, "Uid", want);
	(void)snprintf(want, sizeof(want), "%lu\t%lu\t%lu\t%lu",
	    (unsigned long)gid, (unsigned long)gid, (unsigned long)gid,
	    (unsigned long)gid);
	expect_field(status, "Gid", want);
	expect_field(status, "NoNewPrivs", "1");
	expect_field(status, "Seccomp", "2");
	if (sb->sb_drop) {
		expect_field(status, "Groups", "");
		expect_field(status, "CapInh", "0000000000000000");
		expect_field(status, "CapPrm", "0000000000000000");
		expect_field(status, "CapEff", "0000000000000000");
		expect_field(status, "CapBnd", "0000000000000000");
		expect_field(status, "CapAmb", "0000000000000000");
		if (ln <= 0)
			fail_msg("cannot read /proc/%ld/root", (long)pid);
		rootlink[ln] = '\0';
		assert_string_equal(rootlink, real);
	}
}

static void
test_enter_cage(void **state)
{
	struct sandbox	sb;
	char		dir[PATH_MAX], err[ARGO_ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "cage");
	make_dir(dir, 0755);
	if (prepare(NOBODY, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("%s refused: %s", dir, err);
	assert_int_equal(sb.sb_drop, 1);
	enter_and_inspect(&sb, nobody_uid, nobody_gid);
}

static void
child_enter_setuid(const void *v)
{
	const struct sandbox	*sb = v;

	if (sandbox_enter(sb, &sh->sh_report, sh->sh_msg,
	    sizeof(sh->sh_msg)) == -1)
		_exit(EX_NOFILTER);
	sh->sh_ret = syscall(SYS_setuid, 0);
	sh->sh_errno = errno;
	_exit(EX_RETURNED);
}

/* Back to root: the kernel would refuse, but the filter comes first. */
static void
test_enter_setuid(void **state)
{
	struct sandbox	sb;
	char		dir[PATH_MAX], err[ARGO_ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	path(dir, sizeof(dir), "cage2");
	make_dir(dir, 0755);
	if (prepare(NOBODY, dir, &sb, err, sizeof(err)) != 0)
		fail_msg("%s refused: %s", dir, err);
	run_trapped("setuid(0) in the cage", child_enter_setuid, &sb,
	    SYS_setuid);
}

/* Not started as root (sb_drop 0): the filter alone, same account. */
static void
test_enter_filter_only(void **state)
{
	struct sandbox	sb;

	(void)state;
	memset(&sb, 0, sizeof(sb));
	enter_and_inspect(&sb, getuid(), getgid());
}

static void
child_enter_fails(const void *v)
{
	const struct sandbox	*sb = v;

	sh->sh_ret = sandbox_enter(sb, &sh->sh_report, sh->sh_msg,
	    sizeof(sh->sh_msg));
	_exit(EX_OK);
}

/* A cage that cannot be built is an error, not a worker left half in. */
static void
test_enter_fails(void **state)
{
	struct sandbox	sb;

	(void)state;
	memset(&sb, 0, sizeof(sb));
	sb.sb_drop = 1;
	sb.sb_uid = nobody_uid;
	sb.sb_gid = nobody_gid;
	(void)snprintf(sb.sb_user, sizeof(sb.sb_user), "%s", NOBODY);
	(void)snprintf(sb.sb_chroot, sizeof(sb.sb_chroot), "%s/absent", base);
	run_clean("sandbox_enter without its chroot", child_enter_fails, &sb);
	assert_int_equal(sh->sh_ret, -1);
	if (strstr(sh->sh_msg, "chroot") == NULL)
		fail_msg("error \"%s\" lacks \"chroot\"", sh->sh_msg);
}

/* ------------------------------------------------------------------ */

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return (remove(p) == -1 ? -1 : 0);
}

static int
setup(void **state)
{
	(void)state;
	/* sandbox_prepare's warning to stderr, not the host's syslog. */
	log_init(1, 0);
	if (lookup_user(NOBODY, &nobody_uid, &nobody_gid) == -1)
		return (-1);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return (-1);
	if (mkdtemp(base) == NULL)
		return (-1);
	have_base = 1;
	/* For the children that have become nobody: a way in, not a say. */
	if (chmod(base, 0711) == -1)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	if (have_base &&
	    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == -1)
		return (-1);
	reap_orphans();
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_calls),
		cmocka_unit_test(test_syscall_names),
		cmocka_unit_test(test_blocked_sigsys),
		cmocka_unit_test(test_foreign_abi),
		cmocka_unit_test(test_soft_denials),
		cmocka_unit_test(test_allowed_calls),
		cmocka_unit_test(test_prepare_accepts),
		cmocka_unit_test(test_prepare_creates),
		cmocka_unit_test(test_prepare_not_empty),
		cmocka_unit_test(test_prepare_writable),
		cmocka_unit_test(test_prepare_not_dir),
		cmocka_unit_test(test_prepare_users),
		cmocka_unit_test(test_prepare_long_path),
		cmocka_unit_test(test_prepare_unprivileged),
		cmocka_unit_test(test_enter_cage),
		cmocka_unit_test(test_enter_setuid),
		cmocka_unit_test(test_enter_filter_only),
		cmocka_unit_test(test_enter_fails),
	};

	/* What a fork the filter let through leaves comes back to us. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* A child that died early must fail its test, not end the run. */
	(void)signal(SIGPIPE, SIG_IGN);
	alarm(WATCHDOG_S);
	return (cmocka_run_group_tests(tests, setup, teardown));
}
