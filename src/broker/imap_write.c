/*
 * imap_write.c: the instance map's one writer (imap.c says why and how).
 * The master makes it before it forks the broker, which inherits the only
 * writable mapping; the master then seals it and keeps a read-only
 * descriptor for its workers.  The daemon's one inotify instance, and the
 * epoll that signals its events to workers, are made here too.
 */
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "imap.h"
#include "imap_layout.h"
#include "imap_write.h"
#include "log.h"

static unsigned char	*base;		/* the mapping, writable until sealed */
static int		 mfd = -1;	/* master only, until sealed */
static int		 rofd = -1;	/* master: read-only, for workers */
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
	imap_use(base, efd);
	return (0);
}

int
imap_seal(char *err, size_t errlen)
{
	char	 path[64];
	void	*ro;

	/* Opened read-only, the memfd can be neither written, truncated
	 * nor mapped writable through this descriptor, seals or not. */
	(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	if ((rofd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)snprintf(err, errlen, "instance map: cannot reopen "
		    "read-only: %s", strerror(errno));
		return (-1);
	}
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
	imap_use(base, efd);
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

void
imap_scanning(int on)
{
	__atomic_store_n(&hdr()->h_scanning, on ? 1U : 0U, __ATOMIC_SEQ_CST);
	/* Seen set by any worker that sees the queue emptied after this. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
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

int
imap_reader_fd(void)
{
	return (rofd);
}
