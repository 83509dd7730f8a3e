/*
 * imap.c: the shared instance map (imap.h).
 *
 * Why shared memory: a worker, chrooted and filtered, cannot scan xen_dir,
 * and asking the broker on every `list available` would cost two context
 * switches per request.  So the broker scans (instances.c, with its
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
 * no mprotect to writable) and maps it read-only, and that is the mapping
 * workers inherit.  No process but the broker holds the descriptor.
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
#include <sys/inotify.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap.h"
#include "log.h"
#include "util.h"

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

static unsigned char	*base;		/* the mapping */
static int		 mfd = -1;	/* master only, until sealed */
static int		 ifd = -1;	/* inotify: master until sealed, broker */
static int		 efd = -1;	/* an epoll holding ifd: everyone */

static struct imap_hdr *
hdr(void)
{
	return ((struct imap_hdr *)(void *)base);
}

static unsigned char *
half(uint32_t i)
{
	return (base + IMAP_HDR + (size_t)(i & 1) * IMAP_HALF);
}

/*
 * The change signal (see the top).  Without it the map is still right:
 * the broker watches on its own and workers ask at every request.
 */
static void
make_signal(void)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    (efd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    epoll_ctl(efd, EPOLL_CTL_ADD, ifd, &ev) == -1) {
		log_warn("instance map: no change signal, workers ask the "
		    "broker at every request");
		if (ifd != -1)
			(void)close(ifd);
		if (efd != -1)
			(void)close(efd);
		ifd = efd = -1;
	}
}

int
imap_create(char *err, size_t errlen)
{
	if ((mfd = memfd_create("argo-instances", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1 || ftruncate(mfd, IMAP_SIZE) == -1) {
		(void)snprintf(err, errlen, "instance map: %s", strerror(errno));
		return (-1);
	}
	base = mmap(NULL, IMAP_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
	    0);
	if (base == MAP_FAILED) {
		base = NULL;
		(void)snprintf(err, errlen, "instance map: %s", strerror(errno));
		return (-1);
	}
	make_signal();
	return (0);
}

int
imap_seal(char *err, size_t errlen)
{
	void	*ro;

	if (munmap(base, IMAP_SIZE) == -1 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) == -1 ||
	    (ro = mmap(NULL, IMAP_SIZE, PROT_READ, MAP_SHARED, mfd, 0)) ==
	    MAP_FAILED) {
		(void)snprintf(err, errlen, "instance map: cannot seal: %s",
		    strerror(errno));
		return (-1);
	}
	base = ro;
	(void)close(mfd);
	mfd = -1;
	/* The instance is the broker's alone: no copy here, none in workers. */
	if (ifd != -1)
		(void)close(ifd);
	ifd = -1;
	return (0);
}

int
imap_inotify(void)
{
	return (ifd);
}

int
imap_signal_fd(void)
{
	return (efd);
}

void
imap_scanning(int on)
{
	__atomic_store_n(&hdr()->h_scanning, on ? 1U : 0U, __ATOMIC_SEQ_CST);
	/* Seen set by any worker that sees the queue emptied after this. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
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
imap_publish(const struct instances *in, unsigned int flags)
{
	struct imap_hdr		*h = hdr();
	struct imap_half	 m;
	struct imap_rec		 r;
	unsigned char		*dst;
	uint64_t		 seq = h->h_seq + 1;
	uint32_t		 next = (h->h_active + 1) & 1;
	size_t			 i, n = in != NULL ? in->in_n : 0, off, plen;

	off = sizeof(m) + n * sizeof(r);
	for (i = 0; i < n; i++)
		off += strlen(in->in_v[i].i_path) + 1;
	if (off > IMAP_HALF) {
		log_warnx("instance map: %zu instances do not fit", n);
		return (0);
	}
	/* Readers still copying this half from two maps ago must see the
	 * sequence number move before they can see our writes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	dst = half(next);
	off = sizeof(m) + n * sizeof(r);
	for (i = 0; i < n; i++) {
		const struct instance *ins = &in->in_v[i];

		memset(&r, 0, sizeof(r));
		memcpy(r.r_name, ins->i_name, sizeof(r.r_name));
		r.r_memory = ins->i_memory;
		r.r_vcpus = ins->i_vcpus;
		plen = strlen(ins->i_path);
		r.r_path = (uint32_t)off;
		r.r_pathlen = (uint32_t)plen;
		memcpy(dst + off, ins->i_path, plen + 1);
		off += plen + 1;
		memcpy(dst + sizeof(m) + i * sizeof(r), &r, sizeof(r));
	}
	m.m_seq = seq;
	m.m_n = (uint32_t)n;
	m.m_flags = flags;
	m.m_used = off;
	memcpy(dst, &m, sizeof(m));
	__atomic_store_n(&h->h_active, next, __ATOMIC_RELEASE);
	__atomic_store_n(&h->h_seq, seq, __ATOMIC_RELEASE);
	return (seq);
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
	struct imap_hdr	*h = hdr();
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
