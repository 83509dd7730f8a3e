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

#include "instances.h"

/* IMAP_F_WATCHABLE: inotify on xen_dir sees every change of this map's
 * inputs (no symbolic links among the .cfg entries, the scan succeeded). */
#define IMAP_F_WATCHABLE	0x01

/* Master, before forking the broker: make the map, writable here. */
int	imap_create(char *err, size_t errlen);
/* Master, after forking the broker: from now on read-only for us and for
 * every worker we fork; sealed so no process can map it writable again. */
int	imap_seal(char *err, size_t errlen);
/* Broker: publish in (or an empty map, when in is NULL); flags as above.
 * Returns the new sequence number, or 0 if it did not fit (logged). */
uint64_t imap_publish(const struct instances *in, unsigned int flags);
/* Broker: the daemon's one inotify instance, for dirwatch_use(); -1 when
 * there is none.  Closed in the master by imap_seal(). */
int	imap_inotify(void);
/* The epoll that is readable while that instance holds unread events: the
 * one descriptor of the change signal a worker keeps (-1: none). */
int	imap_signal_fd(void);
/* Broker: on around every scan, from before it reads the instance until
 * it has published what it found. */
void	imap_scanning(int on);
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
