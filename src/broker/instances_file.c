/*
 * instances_file.c: one *.cfg file of xen_dir, read and judged for the
 * instance scan (instances_scan.c).  Runs in the broker.  A file is opened
 * O_NONBLOCK (a FIFO never blocks), checked to be regular after open, and
 * read up to ARGO_MAX_CFG_FILE bytes only; what is wrong with it is logged
 * once per change of the file.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "instances_file.h"
#include "instances_scan.h"
#include "log.h"
#include "util.h"
#include "xencfg.h"

static int		 (*should_log)(uint64_t key);

void
instances_set_logfilter(int (*fn)(uint64_t))
{
	should_log = fn;
}

/* FNV-1a over a few fields: the identity of one log message. */
static uint64_t
msgkey(const char *a, const char *b, const struct cfgfile *f)
{
	uint64_t	h = 1469598103934665603ULL;
	const char	*s;
	size_t		 i;
	uint64_t	 nums[4];

	for (s = a; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (s = b; s != NULL && *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	if (f != NULL) {
		nums[0] = (uint64_t)f->f_ino;
		nums[1] = (uint64_t)f->f_size;
		nums[2] = (uint64_t)f->f_mtime.tv_sec;
		nums[3] = (uint64_t)f->f_mtime.tv_nsec;
		for (i = 0; i < 4; i++)
			h = (h ^ nums[i]) * 1099511628211ULL;
	}
	return (h);
}

/*
 * A path for the log.  Whoever may write in xen_dir names its entries, and
 * a newline in a name once forged an `auth ok` line (issue 17): the file
 * name is treated like a word from the network (no control byte, blank or
 * byte above 0x7e, bounded), the directory, the admin's, like a line of
 * text (blanks kept).
 */
const char *
cfgfile_logpath(char *dst, size_t dstlen, const char *path)
{
	const char	*slash = strrchr(path, '/');
	size_t		 dirlen = slash != NULL ? (size_t)(slash - path) + 1 : 0,
			 n;

	if (dstlen < ARGO_LOG_SANITIZE + 2)
		return (log_sanitize(dst, dstlen, path, strlen(path)));
	/* The name keeps its room; the directory gets what is left. */
	(void)log_sanitize_text(dst, dstlen - ARGO_LOG_SANITIZE - 1, path,
	    dirlen);
	n = strlen(dst);
	(void)log_sanitize(dst + n, dstlen - n, path + dirlen,
	    strlen(path + dirlen));
	return (dst);
}

void
cfgfile_skip(const char *dir, const struct cfgfile *f, const char *reason)
{
	char	safe[ARGO_LOG_SANITIZE + 1], sdir[CFG_LOGPATH];

	if (!cfgfile_new_message(f->f_name, reason, f))
		return;
	log_warnx("skipping %s/%s: %s",
	    log_sanitize_text(sdir, sizeof(sdir), dir, strlen(dir)),
	    log_sanitize(safe, sizeof(safe), f->f_name, strlen(f->f_name)),
	    reason);
}

int
cfgfile_new_message(const char *a, const char *b, const struct cfgfile *f)
{
	return (should_log == NULL || should_log(msgkey(a, b, f)));
}

/*
 * A name the toolstack would take for another domain is no instance: a
 * stopped instance's name passed to xm is looked up as a name, then as
 * int(name) ("+3" is domain 3, "+0" Domain-0), then as a UUID (dashes
 * dropped, 32 hex digits); xl's strtoul takes "+3" too.  Else "pause +3"
 * would act on a domain the account may not see, or on Domain-0.  "3"
 * and "-3" already fail the name rules.  Returns why, or NULL.
 */
static const char *
domain_alias(const char *n)
{
	size_t	i, hex = 0;

	if (strcmp(n, "Domain-0") == 0)
		return ("Domain-0 is not an instance");
	if (n[0] == '+' && n[1] != '\0') {
		for (i = 1; isdigit((unsigned char)n[i]); i++)
			;
		if (n[i] == '\0')
			return ("the toolstack would take it for a domain id");
	}
	for (i = 0; n[i] != '\0'; i++) {
		if (isxdigit((unsigned char)n[i]))
			hex++;
		else if (n[i] != '-')
			return (NULL);
	}
	if (hex >= 32)
		return ("the toolstack would take it for a domain UUID");
	return (NULL);
}

/* Read and parse one file into f; f_ok tells whether it names an instance. */
void
cfgfile_load(const char *dir, int dfd, struct cfgfile *f)
{
	struct xencfg_info	 info;
	struct stat		 st;
	char			*buf, why[ARGO_ERR_LEN];
	const char		*alias;
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd;

	f->f_ok = 0;
	fd = openat(dfd, f->f_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd == -1) {
		cfgfile_skip(dir, f, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cfgfile_skip(dir, f, "not a regular file");
		close(fd);
		return;
	}
	/* What we parse is what we remember: take the opened file's stat. */
	f->f_dev = st.st_dev;
	f->f_ino = st.st_ino;
	f->f_size = st.st_size;
	f->f_mtime = st.st_mtim;
	f->f_ctime = st.st_ctim;
	if (st.st_size > ARGO_MAX_CFG_FILE) {
		cfgfile_skip(dir, f, "larger than 256 KiB");
		close(fd);
		return;
	}
	buf = util_xmalloc(ARGO_MAX_CFG_FILE + 1);
	while (len <= ARGO_MAX_CFG_FILE) {
		n = read(fd, buf + len, ARGO_MAX_CFG_FILE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	if (n == -1) {
		cfgfile_skip(dir, f, strerror(errno));
		goto out;
	}
	if (len > ARGO_MAX_CFG_FILE) {
		cfgfile_skip(dir, f, "larger than 256 KiB");
		goto out;
	}
	if (xencfg_parse(buf, len, &info, why, sizeof(why)) == -1) {
		cfgfile_skip(dir, f, why);
		goto out;
	}
	/* Only names that mean this instance to the toolstack (DESIGN 3). */
	if ((alias = domain_alias(info.name)) != NULL) {
		cfgfile_skip(dir, f, alias);
		goto out;
	}
	f->f_ok = 1;
	memcpy(f->f_inst, info.name, sizeof(f->f_inst));
	f->f_memory = info.memory;
	f->f_vcpus = info.vcpus;
out:
	free(buf);
	close(fd);
}
