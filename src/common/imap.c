/*
 * imap.c: the shared instance map (imap.h), as its readers see it; the
 * broker writes it (imap_write.c).
 *
 * Why shared memory: a worker, chrooted and filtered, cannot scan xen_dir,
 * and asking the broker on every `list available` would cost two context
 * switches per request.  So the broker scans (instances_scan.c, with its
 * inotify cache) and writes the result here; a worker copies it into its
 * own memory only when the sequence number changed, and asks the broker
 * to rescan only when xen_dir may have changed or a second passed
 * (worker_map.c).
 *
 * How a worker knows xen_dir may have changed: the daemon's one inotify
 * instance (dirwatch.c) is made here, inside an epoll.  The broker keeps
 * the instance; workers inherit only the epoll.  Its readiness says that
 * events wait which the broker has not read, and the header's scanning
 * flag that the broker is reading them; neither lets a worker read an
 * event, watch anything or make a kernel object in root's name (issue 17:
 * one inotify instance per worker used up root's fs.inotify limits).  The
 * kernel queues an event before the call that caused it returns, so a
 * change made before a request is seen by that request.
 *
 * Why it cannot be abused: the memfd is mapped writable only in the broker
 * (it inherits the mapping when the master forks it); the master then
 * unmaps it, seals it with F_SEAL_FUTURE_WRITE (no new writable mapping,
 * no mprotect to writable), maps it read-only and keeps only a descriptor
 * opened read-only, which is what an argo-worker is handed (imap_attach):
 * it can neither write, truncate nor map writable what that opens.
 *
 * Protocol, one writer, many readers, no locks: two halves.  The broker
 * writes the half that is not current, tagged with the next sequence
 * number, then makes it current and bumps the header's number.  A reader
 * takes the number, copies the current half, and keeps the copy only if
 * the number is still the same and the half carries it; otherwise it
 * tries again.  A torn read is caught, and every offset is checked before
 * use, so even a torn copy cannot take the reader out of bounds.
 */
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap.h"
#include "imap_layout.h"
#include "util.h"

static const unsigned char *base;	/* the mapping, read-only but in
					   the broker */
static int		 efd = -1;	/* the change signal */

static const struct imap_hdr *
hdr(void)
{
	return ((const struct imap_hdr *)(const void *)base);
}

static const unsigned char *
half(uint32_t i)
{
	return (base + IMAP_HDR + (size_t)(i & 1) * IMAP_HALF);
}





void
imap_use(const void *mapping, int sigfd)
{
	base = mapping;
	efd = sigfd;
}

int
imap_attach(int fd, int sigfd, char *err, size_t errlen)
{
	struct stat	 st;
	void		*p;

	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)IMAP_SIZE) {
		(void)snprintf(err, errlen, "instance map: not the map");
		return (-1);
	}
	p = mmap(NULL, IMAP_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		(void)snprintf(err, errlen, "instance map: %s",
		    strerror(errno));
		return (-1);
	}
	imap_use(p, sigfd);
	return (0);
}

int
imap_signal_fd(void)
{
	return (efd);
}


int
imap_unsettled(void)
{
	struct epoll_event	ev;

	if (efd == -1)
		return (1);
	/* Events queued, or no answer: the broker must look. */
	if (epoll_wait(efd, &ev, 1, 0) != 0)
		return (1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (__atomic_load_n(&hdr()->h_scanning, __ATOMIC_ACQUIRE) != 0);
}


uint64_t
imap_seq(void)
{
	return (__atomic_load_n(&hdr()->h_seq, __ATOMIC_ACQUIRE));
}

void
imap_free_copy(struct instances *out)
{
	free(out->in_v);		/* the paths live in the same block */
	out->in_v = NULL;
	out->in_n = 0;
}

/* One attempt: the copy, or -1 if the half was torn or inconsistent. */
static int
copy_half(const unsigned char *src, uint64_t seq, struct instances *out,
    unsigned int *flags)
{
	struct imap_half	 m;
	struct imap_rec		 r;
	struct instance		*v;
	char			*paths;
	size_t			 i, pathbytes;

	memcpy(&m, src, sizeof(m));
	if (m.m_seq != seq || m.m_n > ARGO_MAX_INSTANCES ||
	    m.m_used > IMAP_HALF ||
	    m.m_used < sizeof(m) + (size_t)m.m_n * sizeof(r))
		return (-1);
	pathbytes = m.m_used - sizeof(m) - (size_t)m.m_n * sizeof(r);
	v = util_xmalloc((size_t)m.m_n * sizeof(*v) + pathbytes + 1);
	paths = (char *)(v + m.m_n);
	memcpy(paths, src + sizeof(m) + (size_t)m.m_n * sizeof(r), pathbytes);
	paths[pathbytes] = '\0';
	for (i = 0; i < m.m_n; i++) {
		size_t	p;

		memcpy(&r, src + sizeof(m) + i * sizeof(r), sizeof(r));
		p = (size_t)r.r_path - sizeof(m) - (size_t)m.m_n * sizeof(r);
		if (r.r_path < sizeof(m) + (size_t)m.m_n * sizeof(r) ||
		    p + r.r_pathlen >= pathbytes + 1 ||
		    paths[p + r.r_pathlen] != '\0' ||
		    memchr(r.r_name, '\0', sizeof(r.r_name)) == NULL) {
			free(v);
			return (-1);
		}
		memcpy(v[i].i_name, r.r_name, sizeof(v[i].i_name));
		v[i].i_path = paths + p;
		v[i].i_memory = (long)r.r_memory;
		v[i].i_vcpus = (long)r.r_vcpus;
	}
	imap_free_copy(out);
	out->in_v = v;
	out->in_n = m.m_n;
	*flags = m.m_flags;
	return (0);
}

uint64_t
imap_copy(struct instances *out, unsigned int *flags)
{
	const struct imap_hdr *h = hdr();
	struct instances tmp = { NULL, 0 };
	uint64_t	 s1, s2;
	uint32_t	 a;
	unsigned int	 f = 0;
	int		 i, ok;

	for (i = 0; i < IMAP_TRIES; i++) {
		s1 = __atomic_load_n(&h->h_seq, __ATOMIC_ACQUIRE);
		if (s1 == 0)
			return (0);		/* nothing published yet */
		a = __atomic_load_n(&h->h_active, __ATOMIC_ACQUIRE);
		ok = copy_half(half(a), s1, &tmp, &f) == 0;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&h->h_seq, __ATOMIC_RELAXED);
		if (ok && s1 == s2) {
			imap_free_copy(out);
			*out = tmp;
			*flags = f;
			return (s1);
		}
		imap_free_copy(&tmp);
	}
	return (0);
}

/* By name, in a map sorted by name (the broker's scan or a copy). */
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
