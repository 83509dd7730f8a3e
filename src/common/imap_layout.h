/*
 * imap_layout.h: the bytes of the instance map, shared by its one writer
 * (the broker, imap_write.c) and its readers (imap.c).  imap.c says why
 * and how.
 */
#ifndef ARGO_IMAP_LAYOUT_H
#define ARGO_IMAP_LAYOUT_H

#include <stdint.h>

#include "defs.h"

#define IMAP_HDR	4096
#define IMAP_HALF	(64UL * 1024 * 1024)	/* ARGO_MAX_INSTANCES fit */
#define IMAP_SIZE	(IMAP_HDR + 2 * IMAP_HALF)
#define IMAP_TRIES	1000

struct imap_hdr {
	uint64_t	h_seq;
	uint32_t	h_active;	/* 0 or 1 */
	uint32_t	h_scanning;	/* 1 while the broker reads xen_dir */
};

struct imap_half {
	uint64_t	m_seq;
	uint32_t	m_n;		/* records */
	uint32_t	m_flags;
	uint64_t	m_used;		/* bytes, this header included */
};

struct imap_rec {
	char		r_name[ARGO_MAX_NAME + 1];
	int64_t		r_memory;
	int64_t		r_vcpus;
	uint32_t	r_path;		/* offset in the half */
	uint32_t	r_pathlen;
};

#endif
