/*
 * imap_write.h: the instance map's writer (the master makes and seals it,
 * the broker writes it); imap.h is its readers'.
 */
#ifndef ARGO_IMAP_WRITE_H
#define ARGO_IMAP_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "imap.h"

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
/* Broker: on around every scan, from before it reads the instance until
 * it has published what it found. */
void	imap_scanning(int on);
/* Master, once sealed: a read-only descriptor of the map, for workers. */
int	imap_reader_fd(void);

#endif
