/*
 * log.c: stderr or syslog, chosen once at start-up.  Every message is one
 * line; callers pass untrusted bytes through log_sanitize() first.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "defs.h"
#include "log.h"

#define RELAY_SEND	1100		/* a worker's datagram */

static int	log_fg = 1;
static int	log_dbg;
static int	log_relay = -1;		/* a worker's line to the master */
static int	log_quick;		/* fatal: _exit, no atexit handlers */
static void	(*log_fatal_hook)(const char *);

#define LOGONCE_KEYS	4096	/* said-once keys, 32 KiB */
#define LOGONCE_PROBE	8	/* slots a key may take, from its hash */
static uint64_t	logkeys[LOGONCE_KEYS];

static pid_t	log_pid;

/* Every line names its process; asking the kernel each time costs a call. */
static void
log_forked(void)
{
	log_pid = getpid();
}

void
log_init(int foreground, int debug)
{
	static int	registered;

	if (!registered && pthread_atfork(NULL, NULL, log_forked) == 0)
		registered = 1;
	log_pid = registered ? getpid() : 0;
	log_fg = foreground;
	log_dbg = debug;
	if (!log_fg)
		openlog("argo-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_to_relay(int fd)
{
	/*
	 * In the foreground too: stderr may be the journal's stream, where a
	 * line a worker wrote itself would pass for the master's.
	 */
	if (!log_fg)
		closelog();
	log_relay = fd;
}

int
log_debugging(void)
{
	return (log_dbg);
}

void
log_as(const char *prog, long pid, int pri, const char *msg)
{
	char	line[1100], tag[48];
	int	n;

	if (log_fg) {
		n = snprintf(line, sizeof(line), "%s[%ld]: %s\n", prog, pid,
		    msg);
		if (n <= 0)
			return;
		if ((size_t)n >= sizeof(line)) {
			n = sizeof(line) - 1;
			line[n - 1] = '\n';
		}
		if (write(STDERR_FILENO, line, (size_t)n) == -1) {
			/* stderr is gone: nowhere left to say so. */
		}
		return;
	}
	/* The tag syslog(LOG_PID) would give prog, with pid as its pid. */
	(void)snprintf(tag, sizeof(tag), "%s[%ld]", prog, pid);
	openlog(tag, LOG_NDELAY, LOG_DAEMON);
	syslog(pri, "%s", msg);
	openlog("argo-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int
log_relay_fd(void)
{
	return (log_relay);
}

void
log_quick_exit(void)
{
	log_quick = 1;
}

/* glibc's syslog keeps a descriptor a closefrom would pull from under it. */
void
log_suspend(void)
{
	if (!log_fg && log_relay == -1)
		closelog();
}

void
log_resume(void)
{
	if (!log_fg && log_relay == -1)
		openlog("argo-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* One datagram, "<digit>message", to the master (log_relay.c reads it). */
static void
relay_send(int fd, int pri, const char *msg)
{
	char	line[RELAY_SEND];
	int	n;

	n = snprintf(line, sizeof(line), "%c%s", (char)('0' + (pri & 7)),
	    msg);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	while (send(fd, line, (size_t)n, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

void
log_on_fatal(void (*hook)(const char *))
{
	log_fatal_hook = hook;
}

void
log_setdebug(int debug)
{
	log_dbg = debug;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *suffix)
{
	char	msg[1024];
	int	n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (suffix != NULL) {
		size_t	used = strlen(msg);

		(void)snprintf(msg + used, sizeof(msg) - used, ": %s", suffix);
	}
	if (pri == LOG_CRIT && log_fatal_hook != NULL)
		log_fatal_hook(msg);
	if (log_relay != -1)
		relay_send(log_relay, pri, msg);
	else if (log_fg) {
		/* One write per line so lines from many workers never mix. */
		char	line[1100];

		n = snprintf(line, sizeof(line), "argo-server[%ld]: %s\n",
		    (long)(log_pid != 0 ? log_pid : getpid()), msg);
		if (n > 0) {
			if ((size_t)n >= sizeof(line))
				n = sizeof(line) - 1;
			if (write(STDERR_FILENO, line, (size_t)n) == -1) {
				/* stderr is gone: nowhere left to say so. */
			}
		}
	} else
		syslog(pri, "%s", msg);
}

#define LOG_BODY(pri, suffix) do {		\
	va_list ap;				\
	va_start(ap, fmt);			\
	vlog((pri), fmt, ap, (suffix));		\
	va_end(ap);				\
} while (0)

void
log_warn(const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_WARNING, strerror(saved));
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	if (!log_dbg)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	int	saved = errno;

	LOG_BODY(LOG_CRIT, strerror(saved));
	if (log_quick)
		_exit(1);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	if (log_quick)
		_exit(1);
	exit(1);
}

static char *
sanitize(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t max, unsigned char lowest)
{
	size_t	i, n = 0;

	if (dstlen == 0)
		return (dst);
	if (max > dstlen - 1)
		max = dstlen - 1;
	for (i = 0; i < srclen && n < max; i++) {
		unsigned char c = (unsigned char)src[i];

		/* An int holding (char)c or '?', both ASCII: no narrowing. */
		/* NOLINTNEXTLINE(bugprone-narrowing-conversions) */
		dst[n++] = (c >= lowest && c <= 0x7e) ? (char)c : '?';
	}
	if (i < srclen && n >= 3 && dstlen > 3) {
		dst[n - 3] = dst[n - 2] = dst[n - 1] = '.';
	}
	dst[n] = '\0';
	return (dst);
}

char *
log_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	/* A word from the network: no blank may split a key=value line. */
	return (sanitize(dst, dstlen, src, srclen, ARGO_LOG_SANITIZE, 0x21));
}

char *
log_sanitize_text(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return (sanitize(dst, dstlen, src, srclen, dstlen, 0x20));
}

/*
 * "Said once" filter for messages a scan would repeat.  A key may sit in
 * any of LOGONCE_PROBE slots from its hash: with one slot per hash, two of
 * a few dozen skipped files often shared it and pushed each other out, so
 * both were logged again at every scan.  Only a full neighbourhood evicts
 * (the evicted message is then said once more).
 */
int
log_once(uint64_t key)
{
	size_t		 i, base = (size_t)(key % LOGONCE_KEYS);
	uint64_t	*slotp, old;

	if (key == 0)
		key = 1;		/* 0 marks a free slot */
	for (i = 0; i < LOGONCE_PROBE; i++) {
		slotp = &logkeys[(base + i) % LOGONCE_KEYS];
		old = *slotp;
		if (old == key)
			return (0);
		if (old != 0)
			continue;
		*slotp = key;
		return (1);
	}
	slotp = &logkeys[(base + (size_t)(key >> 32) %
	    LOGONCE_PROBE) % LOGONCE_KEYS];
	*slotp = key;
	return (1);
}
