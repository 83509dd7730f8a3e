/*
 * instances.c: scan the *.cfg files of xen_dir into the instance map.
 *
 * Each worker keeps the result of its last scan.  A request that finds no
 * change since then (dirwatch.c: inotify, no symbolic links among the
 * .cfg entries, a full look at least every second) reuses it as it is.
 * Otherwise it re-reads the directory and stat()s every candidate, but
 * parses only files whose inode, size, mtime or ctime changed, so edits
 * show up at the next request.
 * Files are opened O_NONBLOCK (a FIFO never blocks), checked to be regular
 * after open, and read up to ARGO_MAX_CFG_FILE bytes only.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirwatch.h"
#include "instances.h"
#include "log.h"
#include "util.h"
#include "xencfg.h"

struct cfgfile {
	char		*f_name;	/* file name inside the directory */
	dev_t		 f_dev;
	ino_t		 f_ino;
	off_t		 f_size;
	struct timespec	 f_mtime, f_ctime;
	int		 f_ok;		/* has a valid name */
	char		 f_inst[ARGO_MAX_NAME + 1];
	long		 f_memory, f_vcpus;
	int		 f_moved;	/* f_name now belongs to the new scan */
};

static char		*cache_dir;
static struct cfgfile	*cache_v;
static size_t		 cache_n;
static struct instances	 map;
static int		 map_watched;	/* dirwatch says when to rescan */
static unsigned long	 map_version;	/* bumped when the map changes */
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

static void
skip(const char *dir, const struct cfgfile *f, const char *reason)
{
	char	safe[ARGO_LOG_SANITIZE + 1];

	if (should_log != NULL && !should_log(msgkey(f->f_name, reason, f)))
		return;
	log_warnx("skipping %s/%s: %s", dir,
	    log_sanitize(safe, sizeof(safe), f->f_name, strlen(f->f_name)),
	    reason);
}

static void
cache_free(struct cfgfile *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!v[i].f_moved)
			free(v[i].f_name);
	free(v);
}

void
instances_reset(void)
{
	size_t	i;

	cache_free(cache_v, cache_n);
	cache_v = NULL;
	cache_n = 0;
	free(cache_dir);
	cache_dir = NULL;
	for (i = 0; i < map.in_n; i++)
		free(map.in_v[i].i_path);
	free(map.in_v);
	map.in_v = NULL;
	map.in_n = 0;
	map_watched = 0;
	map_version++;
	dirwatch_close();
}

int
instances_watchable(void)
{
	return (map_watched);
}

unsigned long
instances_version(void)
{
	return (map_version);
}

int
instances_is_cfg_name(const char *n)
{
	size_t	len = strlen(n);

	return (n[0] != '.' && len > 4 && strcmp(n + len - 4, ".cfg") == 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

static int
cmp_inst(const void *a, const void *b)
{
	const struct instance *x = a, *y = b;

	return (strcmp(x->i_name, y->i_name));
}

static struct cfgfile *
cache_lookup(const char *name)
{
	size_t	lo = 0, hi = cache_n;

	/* cache_v is sorted by file name: it is the previous scan's order. */
	while (lo < hi) {
		size_t	mid = (lo + hi) / 2;
		int	c = strcmp(cache_v[mid].f_name, name);

		if (c == 0)
			return (&cache_v[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

static int
same_file(const struct cfgfile *f, const struct stat *st)
{
	return (f->f_dev == st->st_dev && f->f_ino == st->st_ino &&
	    f->f_size == st->st_size &&
	    f->f_mtime.tv_sec == st->st_mtim.tv_sec &&
	    f->f_mtime.tv_nsec == st->st_mtim.tv_nsec &&
	    f->f_ctime.tv_sec == st->st_ctim.tv_sec &&
	    f->f_ctime.tv_nsec == st->st_ctim.tv_nsec);
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
static void
load_file(const char *dir, int dfd, struct cfgfile *f)
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
		skip(dir, f, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		skip(dir, f, "not a regular file");
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
		skip(dir, f, "larger than 256 KiB");
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
		skip(dir, f, strerror(errno));
		goto out;
	}
	if (len > ARGO_MAX_CFG_FILE) {
		skip(dir, f, "larger than 256 KiB");
		goto out;
	}
	if (xencfg_parse(buf, len, &info, why, sizeof(why)) == -1) {
		skip(dir, f, why);
		goto out;
	}
	/* Only names that mean this instance to the toolstack (DESIGN 3). */
	if ((alias = domain_alias(info.name)) != NULL) {
		skip(dir, f, alias);
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

static void
build_map(const char *dir)
{
	size_t	i, n = 0;
	char	*path;
	size_t	 plen;

	for (i = 0; i < map.in_n; i++)
		free(map.in_v[i].i_path);
	free(map.in_v);
	map.in_v = util_xcalloc(cache_n, sizeof(struct instance));
	for (i = 0; i < cache_n; i++) {
		struct cfgfile	*f = &cache_v[i];
		struct instance	*in;

		if (!f->f_ok)
			continue;
		in = &map.in_v[n++];
		memcpy(in->i_name, f->f_inst, sizeof(in->i_name));
		plen = strlen(dir) + 1 + strlen(f->f_name) + 1;
		path = util_xmalloc(plen);
		(void)snprintf(path, plen, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", f->f_name);
		in->i_path = path;
		in->i_memory = f->f_memory;
		in->i_vcpus = f->f_vcpus;
	}
	/*
	 * Stable order: files were visited in byte order, so after a stable
	 * sort by name the first path of a duplicated name comes first.
	 * qsort is not stable, so break ties on the path.
	 */
	map.in_n = n;
	map_version++;
	qsort(map.in_v, n, sizeof(struct instance), cmp_inst);
	/* Duplicates: keep the first (paths sort like file names). */
	if (n > 1) {
		size_t	w = 1;

		for (i = 1; i < n; i++) {
			struct instance *prev = &map.in_v[w - 1];
			struct instance *cur = &map.in_v[i];

			if (strcmp(prev->i_name, cur->i_name) == 0) {
				struct instance *keep, *drop;

				if (strcmp(prev->i_path, cur->i_path) <= 0) {
					keep = prev;
					drop = cur;
				} else {
					keep = cur;
					drop = prev;
				}
				if (should_log == NULL || should_log(msgkey(
				    keep->i_path, drop->i_path, NULL)))
					log_warnx("instance %s is named in "
					    "%s and %s: using %s", keep->i_name,
					    keep->i_path, drop->i_path,
					    keep->i_path);
				if (keep != prev) {
					free(prev->i_path);
					*prev = *cur;
				} else
					free(cur->i_path);
				continue;
			}
			map.in_v[w++] = *cur;
		}
		map.in_n = w;
	}
}

/* xen_dir cannot be read (errno): log it once per reason, as a
 * different failure is news. */
static void
dir_failed(const char *dir)
{
	int	e = errno;

	if (should_log == NULL || should_log(msgkey(dir, strerror(e), NULL))) {
		errno = e;
		log_warn("cannot read xen_dir %s", dir);
	}
}

const struct instances *
instances_get(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL;
	size_t		 nnames = 0, cap = 0, i, nv = 0;
	struct cfgfile	*nvv;
	int		 dfd, changed = 0, watching, links = 0;

	if (cache_dir != NULL && strcmp(cache_dir, dir) != 0)
		instances_reset();
	if (cache_dir != NULL && map_watched && dirwatch_quiet(dir,
	    instances_is_cfg_name))
		return (&map);
	map_watched = 0;
	watching = dirwatch_arm(dir) == 0;
	if ((d = opendir(dir)) == NULL) {
		dir_failed(dir);
		return (NULL);
	}
	dfd = dirfd(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!instances_is_cfg_name(de->d_name))
			continue;
		if (nnames == ARGO_MAX_INSTANCES) {
			errno = 0;
			break;
		}
		if (nnames == cap) {
			cap = cap ? cap * 2 : 64;
			names = reallocarray(names, cap, sizeof(char *));
			if (names == NULL)
				fatal("reallocarray");
		}
		/* A link's target changes out of the watch's sight. */
		if (de->d_type == DT_LNK || de->d_type == DT_UNKNOWN)
			links = 1;
		/* d_name lives in the DIR's buffer, which the next getdents
		 * refill overwrites: a large directory needs copies. */
		names[nnames++] = util_xstrdup(de->d_name);
	}
	if (errno != 0) {
		dir_failed(dir);
		for (i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		closedir(d);
		return (NULL);
	}
	if (nnames > 1)
		qsort(names, nnames, sizeof(char *), cmp_str);

	nvv = util_xcalloc(nnames, sizeof(struct cfgfile));
	for (i = 0; i < nnames; i++) {
		struct cfgfile	*old, *f = &nvv[nv];
		struct stat	 st;

		/* Follow symlinks: dangling or looping ones fail here. */
		if (fstatat(dfd, names[i], &st, 0) == -1) {
			struct cfgfile tmp;

			memset(&tmp, 0, sizeof(tmp));
			tmp.f_name = names[i];
			skip(dir, &tmp, errno == ELOOP ?
			    "symbolic link loop" : errno == ENOENT ?
			    "dangling symbolic link" : strerror(errno));
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			struct cfgfile tmp;

			memset(&tmp, 0, sizeof(tmp));
			tmp.f_name = names[i];
			tmp.f_ino = st.st_ino;
			skip(dir, &tmp, "not a regular file");
			continue;
		}
		old = cache_lookup(names[i]);
		if (old != NULL && same_file(old, &st)) {
			*f = *old;
			old->f_moved = 1;
		} else {
			changed = 1;
			memset(f, 0, sizeof(*f));
			f->f_name = util_xstrdup(names[i]);
			f->f_dev = st.st_dev;
			f->f_ino = st.st_ino;
			f->f_size = st.st_size;
			f->f_mtime = st.st_mtim;
			f->f_ctime = st.st_ctim;
			load_file(dir, dfd, f);
		}
		nv++;
	}
	if (nv != cache_n)
		changed = 1;
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	closedir(d);

	cache_free(cache_v, cache_n);
	cache_v = nvv;
	cache_n = nv;
	if (cache_dir == NULL) {
		cache_dir = util_xstrdup(dir);
		changed = 1;
	}
	if (changed)
		build_map(dir);
	map_watched = watching && !links;
	return (&map);
}

const struct instance *
instances_find(const struct instances *in, const char *name)
{
	size_t	lo = 0, hi = in->in_n;

	while (lo < hi) {
		size_t	mid = (lo + hi) / 2;
		int	c = strcmp(in->in_v[mid].i_name, name);

		if (c == 0)
			return (&in->in_v[mid]);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}
