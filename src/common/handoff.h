/*
 * handoff.h: what the master hands a new argo-worker across exec
 * (DESIGN.md 5.2).  The worker starts with its descriptors at fixed
 * numbers, these argv words, and one sealed memfd per configuration
 * generation: this header, then the worker's share of the configuration
 * (confwire.h: no password hash, no uid).  Every worker of a generation
 * reads the same memfd, sealed against writes, so none can change what
 * the others read.
 *
 *   argv:  argo-worker SLOT MASTERPID
 *   0 1 2  the log relay (log.c), so whatever the worker writes is
 *          filtered as a worker's line
 *   3      this memfd         4  the scoreboard (board.h)
 *   5      the broker channel 6  the wake-up pipe to the master
 *   7      the instance map, read-only (imap.h)
 *   8      the map's change signal, when h_signal (else a stand-in)
 *   9      the stop pipe: its end of file means the master is stopping
 *          (or gone), whatever became of a signal
 *   10...  the listeners, h_nlisten of them
 */
#ifndef ARGO_HANDOFF_H
#define ARGO_HANDOFF_H

#include <limits.h>
#include <stdint.h>

#include "config.h"

#define HANDOFF_MAGIC		0x6f677241U	/* "Argo" */
#define HANDOFF_VERSION		1
#define HANDOFF_MAX_LISTEN	(CONFIG_MAX_LISTEN + 1)	/* TCP, UNIX */
#define HANDOFF_MAX_CONF	(4 * 1024 * 1024)

enum {
	HFD_CONF = 3,
	HFD_BOARD,
	HFD_BROKER,
	HFD_NOTIFY,
	HFD_MAP,
	HFD_SIGNAL,
	HFD_STOP,
	HFD_LISTEN		/* the first listener */
};

struct handoff {
	uint32_t	h_magic;
	uint32_t	h_version;	/* a new master, an old worker: refuse */
	uint32_t	h_size;		/* sizeof(struct handoff) */
	uint32_t	h_conflen;	/* bytes of configuration after us */
	int32_t		h_generation;
	int32_t		h_debug;	/* -d */
	int32_t		h_drop;		/* chroot to h_chroot, drop the rest */
	uint32_t	h_uid;		/* what the master made us, when h_drop */
	uint32_t	h_gid;
	int32_t		h_signal;	/* HFD_SIGNAL is there */
	uint32_t	h_nlisten;
	uint8_t		h_unix[HANDOFF_MAX_LISTEN];	/* 1: a UNIX socket */
	char		h_chroot[PATH_MAX];
};

#endif
