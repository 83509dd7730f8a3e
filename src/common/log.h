/*
 * log.h: one logging API for the master and the workers (OpenBSD log.c
 * shape).  To stderr in the foreground, to syslog (daemon) when detached.
 */
#ifndef ARGO_LOG_H
#define ARGO_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_ATTR_PRINTF	__attribute__((format(printf, 1, 2)))

void	log_init(int foreground, int debug);
/*
 * A worker: send every line to the master over fd (a datagram socket,
 * log_relay.c), since glibc's syslog() would reconnect with socket() and
 * connect(), which its filter forbids, and since in the foreground stderr
 * may be the journal's stream, where a worker's own line would pass for
 * the master's.
 */
void	log_to_relay(int fd);
int	log_relay_fd(void);		/* -1 unless relaying */
int	log_debugging(void);		/* -d (or a reload's debug) */
/* One line under another program's name and pid (the master relaying a
 * worker's): "PROG[PID]: msg" on stderr, or that syslog tag. */
void	log_as(const char *prog, long pid, int pri, const char *msg);
/* fatal() ends with _exit(): a sandboxed process runs no atexit code. */
void	log_quick_exit(void);
/* Around a closefrom: glibc's syslog keeps a descriptor of its own. */
void	log_suspend(void);
void	log_resume(void);
void	log_setdebug(int debug);
/* Called with each fatal message before it is logged (or NULL). */
void	log_on_fatal(void (*hook)(const char *msg));
/* 1 the first time key (a hash of a message) is seen, else 0. */
int	log_once(uint64_t key);
void	log_warn(const char *fmt, ...) LOG_ATTR_PRINTF;	/* + strerror */
void	log_warnx(const char *fmt, ...) LOG_ATTR_PRINTF;
void	log_info(const char *fmt, ...) LOG_ATTR_PRINTF;
void	log_debug(const char *fmt, ...) LOG_ATTR_PRINTF;
void	fatal(const char *fmt, ...) LOG_ATTR_PRINTF __attribute__((noreturn));
void	fatalx(const char *fmt, ...) LOG_ATTR_PRINTF __attribute__((noreturn));

/*
 * Copy untrusted bytes for a log line: at most ARGO_LOG_SANITIZE of them,
 * anything outside 0x21-0x7e becomes '?', "..." marks a cut.  Returns dst.
 */
char	*log_sanitize(char *dst, size_t dstlen, const char *src, size_t srclen);
/* The same for a line of text (toolstack stderr): spaces kept, up to
 * dstlen - 1 bytes. */
char	*log_sanitize_text(char *dst, size_t dstlen, const char *src,
	    size_t srclen);

#endif
