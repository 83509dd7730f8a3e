/*
 * log.h: one logging API for the master and the workers (OpenBSD log.c
 * shape).  To stderr in the foreground, to syslog (daemon) when detached.
 */
#ifndef ARGO_LOG_H
#define ARGO_LOG_H

#include <stddef.h>

#define LOG_ATTR_PRINTF	__attribute__((format(printf, 1, 2)))

void	log_init(int foreground, int debug);
void	log_setdebug(int debug);
/* Called with each fatal message before it is logged (or NULL). */
void	log_on_fatal(void (*hook)(const char *msg));
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
