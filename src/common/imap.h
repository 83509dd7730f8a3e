/*
 * imap.h: the instance map shared by the broker (which scans xen_dir and
 * publishes) and the workers (which cannot read xen_dir from their chroot,
 * and read the map instead).  One memfd, mapped read-write in the broker
 * and read-only, sealed, in every worker; and the signal that tells a
 * worker xen_dir may have changed.  See imap.c for the protocol.
 */
#ifndef ARGO_IMAP_H
#define ARGO_IMAP_H

#include <stdint.h>

#include <stddef.h>

#include "instances.h"

/* IMAP_F_WATCHABLE: inotify on xen_dir sees every change of this map's
 * inputs (no symbolic links among the .cfg entries, the scan succeeded). */
#define IMAP_F_WATCHABLE	0x01

/* A reader of mapping, the map (imap_write.c sets the broker's and the
 * master's own; unit tests use it too); sigfd: the change signal, or -1. */
void	imap_use(const void *mapping, int sigfd);
/* Worker: map the read-only descriptor fd its master handed it, and use
 * sigfd as the change signal (-1: none).  0, or -1 with the reason. */
int	imap_attach(int fd, int sigfd, char *err, size_t errlen);
/* The epoll that is readable while the daemon's inotify instance holds
 * unread events: the one descriptor of the change signal a worker keeps
 * (-1: none). */
int	imap_signal_fd(void);
/*
 * Worker: 1 when xen_dir may have changed since the current map was
 * published (events the broker has not read, a scan under way, or no
 * signal to tell): ask the broker to scan.  0: a map read after this
 * call holds every change made before it.  No message, one system call.
 */
int	imap_unsettled(void);
/* Worker: the sequence number of the current map. */
uint64_t imap_seq(void);
/*
 * Worker: copy the current map into *out (the worker's own memory,
 * replacing what was there) and return its sequence number and flags; 0
 * when no consistent copy could be made (the broker kept publishing).
 */
uint64_t imap_copy(struct instances *out, unsigned int *flags);
void	imap_free_copy(struct instances *out);

#endif
