/*
 * instances_scan.c: scan the *.cfg files of xen_dir into the instance map.
 *
 * Runs in the broker, which publishes the result for the workers
 * (imap.c).  It keeps the result of its last scan.  A request that finds
 * no change since then (dirwatch.c: inotify, no symbolic links among the
 * .cfg entries, a full look at least every second) reuses it as it is.
 * Otherwise it re-reads the directory and stat()s every candidate, but
 * parses (instances_file.c) only files whose inode, size, mtime or ctime
 * changed, so edits show up at the next request.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dirwatch.h"
#include "instances_file.h"
#include "instances_scan.h"
#include "log.h"
#include "util.h"

static char		*cache_dir;
static struct cfgfile	*cache_v;
static size_t		 cache_n;
static struct instances	 map;
static int		 map_watched;	/* dirwatch says when to rescan */
static unsigned long	 map_version;	/* bumped when the map changes */

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

/* The paths are named by whoever writes in xen_dir: made safe to log. */
static void
dup_warn(const struct instance *keep, const struct instance *drop)
{
	char	k[CFG_LOGPATH], d[CFG_LOGPATH];

	(void)cfgfile_logpath(k, sizeof(k), keep->i_path);
	(void)cfgfile_logpath(d, sizeof(d), drop->i_path);
	log_warnx("instance %s is named in %s and %s: using %s",
	    keep->i_name, k, d, k);
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
				if (cfgfile_new_message(keep->i_path,
				    drop->i_path, NULL))
					dup_warn(keep, drop);
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
	char	safe[CFG_LOGPATH];
	int	e = errno;

	if (cfgfile_new_message(dir, strerror(e), NULL)) {
		(void)log_sanitize_text(safe, sizeof(safe), dir, strlen(dir));
		errno = e;
		log_warn("cannot read xen_dir %s", safe);
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
			cfgfile_skip(dir, &tmp, errno == ELOOP ?
			    "symbolic link loop" : errno == ENOENT ?
			    "dangling symbolic link" : strerror(errno));
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			struct cfgfile tmp;

			memset(&tmp, 0, sizeof(tmp));
			tmp.f_name = names[i];
			tmp.f_ino = st.st_ino;
			cfgfile_skip(dir, &tmp, "not a regular file");
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
			cfgfile_load(dir, dfd, f);
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
