/*
 * sandbox.c: the seccomp filter an argo-worker loads, once, before its
 * first accept() (sandbox_enter.c does the rest of the cage first), so
 * that it can do only what serving a client needs.
 *
 * The filter is hand-written BPF against the kernel's headers, in the
 * manner of OpenSSH's sandbox-seccomp-filter.c: the architecture is
 * checked first (a 32-bit or x32 entry point has other numbers), then an
 * allow-list; everything else traps.  A trap runs our SIGSYS handler,
 * which stores the call's number where the master will read it and lets
 * the signal kill the process, so the log can say which call it was.  The
 * handler cannot be replaced (rt_sigaction on SIGSYS is itself trapped),
 * and a blocked SIGSYS is forced through by the kernel.
 *
 * Reads are cut short rather than trapped where libc may try them on its
 * own: open() read-only fails with EACCES, ioctl(TCGETS) with ENOTTY.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

#ifdef ARGO_VALGRIND
#include <valgrind/valgrind.h>
#endif

#if defined(__x86_64__) && defined(__ILP32__)
#define SB_ARCH		AUDIT_ARCH_X86_64	/* x32: never used, see below */
#elif defined(__x86_64__)
#define SB_ARCH		AUDIT_ARCH_X86_64
#elif defined(__i386__)
#define SB_ARCH		AUDIT_ARCH_I386
#elif defined(__aarch64__)
#define SB_ARCH		AUDIT_ARCH_AARCH64
#elif defined(__arm__)
#define SB_ARCH		AUDIT_ARCH_ARM
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SB_ARCH		AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define SB_ARCH		AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64
#define SB_ARCH		AUDIT_ARCH_RISCV64
#elif defined(__mips__) && defined(_ABI64) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SB_ARCH		AUDIT_ARCH_MIPSEL64
#else
#error "argo-server has no seccomp filter for this architecture"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[(n)]))
#else
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[(n)]) + 4)
#endif

#define SB_MAX_INSNS	256
#ifndef SYS_SECCOMP
#define SYS_SECCOMP	1	/* si_code of a seccomp trap (asm-generic) */
#endif
#define RET_TRAP	SECCOMP_RET_TRAP
#define RET_ALLOW	SECCOMP_RET_ALLOW
#define RET_ERRNO(e)	(SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))
/*
 * open flags that can change a file; O_TMPFILE creates one.  glibc's
 * __O_TMPFILE carries O_DIRECTORY too, which a read-only opendir() uses:
 * only the kernel's own bit.
 */
#define OPEN_WRITE	(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | \
			 (__O_TMPFILE & ~O_DIRECTORY))

/*
 * What a worker does, hottest first (the filter is a linear scan): the
 * session's socket and poll, its broker channel, the clock, memory,
 * signals, and exit.
 */
static const int allowed[] = {
	SYS_recvfrom, SYS_sendto, SYS_read, SYS_write, SYS_ppoll,
#ifdef SYS_poll
	SYS_poll,
#endif
	SYS_accept4, SYS_close, SYS_rt_sigprocmask, SYS_recvmsg, SYS_sendmsg,
	SYS_getpid, SYS_clock_gettime, SYS_gettimeofday, SYS_readv,
	/*
	 * Waiting on epolls, never changing one: every epoll a worker holds
	 * was made by root, whose watches (fs.epoll.max_user_watches) a
	 * worker adding descriptors would spend.
	 */
	SYS_writev, SYS_epoll_pwait,
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
	SYS_rt_sigpending, SYS_rt_sigreturn, SYS_shutdown,
	SYS_getsockname, SYS_getpeername, SYS_getsockopt, SYS_brk, SYS_munmap, SYS_mremap,
	SYS_madvise, SYS_futex, SYS_getppid, SYS_gettid, SYS_fstat,
	SYS_newfstatat, SYS_lseek, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_sched_yield, SYS_getrandom, SYS_sigaltstack, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
	SYS_getresuid, SYS_getresgid, SYS_restart_syscall, SYS_exit,
	SYS_exit_group,
#ifdef SYS_time
	SYS_time,
#endif
};

struct prog {
	struct sock_filter	f[SB_MAX_INSNS];
	unsigned short		n;
	int			overflow;
};

static void
emit(struct prog *p, unsigned short code, unsigned char jt,
    unsigned char jf, uint32_t k)
{
	if (p->n == SB_MAX_INSNS) {
		p->overflow = 1;
		return;
	}
	p->f[p->n].code = code;
	p->f[p->n].jt = jt;
	p->f[p->n].jf = jf;
	p->f[p->n].k = k;
	p->n++;
}

#define LD(p, off)	emit((p), BPF_LD | BPF_W | BPF_ABS, 0, 0, (off))
#define RET(p, act)	emit((p), BPF_RET | BPF_K, 0, 0, (act))
#define JEQ(p, k, t, f)	emit((p), BPF_JMP | BPF_JEQ | BPF_K, (t), (f), (k))
#define JSET(p, k, t, f) emit((p), BPF_JMP | BPF_JSET | BPF_K, (t), (f), (k))

/* Each rule starts and, when it does not match, ends with A = the number. */
static void
rule_allow(struct prog *p, int nr)
{
	JEQ(p, (uint32_t)nr, 0, 1);
	RET(p, RET_ALLOW);
}

/* nr with any of mask's bits set in argument a: set, else clear. */
static void
rule_arg_mask(struct prog *p, int nr, int a, uint32_t mask, uint32_t set,
    uint32_t clear)
{
	JEQ(p, (uint32_t)nr, 0, 4);
	LD(p, (uint32_t)ARG_LO(a));
	JSET(p, mask, 0, 1);
	RET(p, set);
	RET(p, clear);
}

/* nr with argument a one of v[0..n): in, else out. */
static void
rule_arg_in(struct prog *p, int nr, int a, const uint32_t *v, size_t n,
    uint32_t in, uint32_t out)
{
	size_t	i;

	JEQ(p, (uint32_t)nr, 0, (unsigned char)(n + 3));
	LD(p, (uint32_t)ARG_LO(a));
	for (i = 0; i < n; i++)
		JEQ(p, v[i], (unsigned char)(n - i), 0);
	RET(p, out);
	RET(p, in);
}

static void
build(struct prog *p, pid_t self)
{
	const uint32_t	sigsys = SIGSYS, me = (uint32_t)self;
	size_t		i;

	memset(p, 0, sizeof(*p));
	LD(p, offsetof(struct seccomp_data, arch));
	JEQ(p, SB_ARCH, 1, 0);
	RET(p, SECCOMP_RET_KILL_PROCESS);
	LD(p, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	/* The x32 entry point reaches the same table with this bit set. */
	emit(p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000U);
	RET(p, SECCOMP_RET_KILL_PROCESS);
#endif
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		rule_allow(p, allowed[i]);
	/* Not F_SETOWN and the like, which aim signals at other processes. */
	{
		static const uint32_t cmds[] = { F_GETFD, F_SETFD, F_GETFL,
		    F_SETFL, F_DUPFD_CLOEXEC };

		rule_arg_in(p, SYS_fcntl, 1, cmds, sizeof(cmds) /
		    sizeof(cmds[0]), RET_ALLOW, RET_TRAP);
	}
	/* Never PROT_EXEC: no new code in a worker. */
	rule_arg_mask(p, SYS_mmap, 2, PROT_EXEC, RET_TRAP, RET_ALLOW);
	rule_arg_mask(p, SYS_mprotect, 2, PROT_EXEC, RET_TRAP, RET_ALLOW);
	/* Our SIGSYS reporter stays; every other signal is the worker's. */
	rule_arg_in(p, SYS_rt_sigaction, 0, &sigsys, 1, RET_TRAP, RET_ALLOW);
	/* raise() and abort(), to ourselves only. */
	rule_arg_in(p, SYS_tgkill, 0, &me, 1, RET_ALLOW, RET_TRAP);
	/*
	 * TCP keepalive and its user timeout, which a watching session sets
	 * so that a client that vanished is noticed (cmd_watch.c); no other
	 * socket option.
	 */
	JEQ(p, SYS_setsockopt, 0, 12);
	LD(p, (uint32_t)ARG_LO(1));			/* the level */
	JEQ(p, SOL_SOCKET, 0, 2);
	LD(p, (uint32_t)ARG_LO(2));			/* the option */
	JEQ(p, SO_KEEPALIVE, 6, 7);
	JEQ(p, IPPROTO_TCP, 0, 6);
	LD(p, (uint32_t)ARG_LO(2));
	JEQ(p, TCP_KEEPIDLE, 3, 0);
	JEQ(p, TCP_KEEPINTVL, 2, 0);
	JEQ(p, TCP_KEEPCNT, 1, 0);
	JEQ(p, TCP_USER_TIMEOUT, 0, 1);
	RET(p, RET_ALLOW);
	RET(p, RET_TRAP);
	/* Nothing to open in an empty root; writing anywhere is fatal. */
#ifdef SYS_open
	rule_arg_mask(p, SYS_open, 1, OPEN_WRITE, RET_TRAP, RET_ERRNO(EACCES));
#endif
	rule_arg_mask(p, SYS_openat, 2, OPEN_WRITE, RET_TRAP,
	    RET_ERRNO(EACCES));
	/* FIONREAD; isatty()'s TCGETS gets "not a terminal"; no other. */
	JEQ(p, SYS_ioctl, 0, 6);
	LD(p, (uint32_t)ARG_LO(1));
	JEQ(p, FIONREAD, 0, 1);
	RET(p, RET_ALLOW);
	JEQ(p, TCGETS, 0, 1);
	RET(p, RET_ERRNO(ENOTTY));
	RET(p, RET_TRAP);
	RET(p, RET_TRAP);
}

static int	*sigsys_report;

/*
 * SA_RESETHAND has made SIGSYS fatal again by the time we run; raising it
 * ends the process with the signal the master expects.  Async-signal-safe.
 */
static void
on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	/* Only the filter's own trap says which call it was. */
	if (sigsys_report != NULL && si->si_code == SYS_SECCOMP)
		__atomic_store_n(sigsys_report, si->si_syscall,
		    __ATOMIC_RELEASE);
	(void)raise(sig);
}

int
sandbox_filter(int *report, char *err, size_t errlen)
{
	static struct prog	 p;
	struct sock_fprog	 fp;
	struct sigaction	 sa;

#ifdef ARGO_VALGRIND
	/*
	 * The valgrind build only (make check-valgrind): valgrind runs its
	 * own code inside our process, and its system calls would trap.
	 * Every other build always loads the filter.
	 */
	if (RUNNING_ON_VALGRIND) {
		(void)report;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
			(void)snprintf(err, errlen, "no_new_privs: %s",
			    strerror(errno));
			return (-1);
		}
		return (0);
	}
#endif
	build(&p, getpid());
	if (p.overflow) {
		(void)snprintf(err, errlen, "seccomp filter too long");
		return (-1);
	}
	sigsys_report = report;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		(void)snprintf(err, errlen, "sigaction SIGSYS: %s",
		    strerror(errno));
		return (-1);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		(void)snprintf(err, errlen, "no_new_privs: %s",
		    strerror(errno));
		return (-1);
	}
	fp.len = p.n;
	fp.filter = p.f;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) == -1) {
		(void)snprintf(err, errlen, "seccomp filter: %s",
		    strerror(errno));
		return (-1);
	}
	return (0);
}
