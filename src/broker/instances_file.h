/*
 * instances_file.h: what instances_scan.c (the directory) and instances_file.c
 * (one file in it) share.  Not for other modules.
 */
#ifndef ARGO_INSTANCES_FILE_H
#define ARGO_INSTANCES_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "defs.h"

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

/* Read and parse f->f_name in dir (dfd); f_ok tells whether it names an
 * instance.  The file's identity fields are those of the opened file. */
void	cfgfile_load(const char *dir, int dfd, struct cfgfile *f);
/* Room for a path as cfgfile_logpath() writes it. */
#define CFG_LOGPATH	512
/* path (xen_dir/FILE) made safe for a log line, in dst; returns dst. */
const char *cfgfile_logpath(char *dst, size_t dstlen, const char *path);
/* Log that f is skipped, once per change of f. */
void	cfgfile_skip(const char *dir, const struct cfgfile *f,
	    const char *reason);
/* Whether the message made of a, b (and f's identity) is news. */
int	cfgfile_new_message(const char *a, const char *b,
	    const struct cfgfile *f);

#endif
