/*
 * acl.c: the [allow] list (DESIGN.md section 4).
 *
 * This module owns the parsing of one `client =` value into a network
 * prefix and the matching of a numeric peer address against a list of
 * prefixes.  It keeps no state, does not log and never allocates: the caller
 * (config.c) stores the entries and reports errors with FILE:LINE, the
 * listener calls acl_match() on the address accept() returned, before it
 * reads a single byte.
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are handled on both sides:
 * an entry written that way with a prefix of at least 96 is stored as the
 * IPv4 prefix it denotes, and a mapped peer is compared as IPv4 against
 * IPv4 entries (and as IPv6 against IPv6 entries), so that one dual-stack
 * socket and two single-stack sockets admit the same clients.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"

/* The longest textual address inet_pton() can accept, plus one. */
#define ACL_ADDR_MAX	(INET6_ADDRSTRLEN + 1)

static const unsigned char v4mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int	acl_fail(char *, size_t, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));
static unsigned char mask_byte(unsigned int, size_t);
static int	prefix_match(const unsigned char *, const unsigned char *,
		    unsigned int);
static int	entry_match(const struct acl_entry *, int,
		    const unsigned char *);

static int
acl_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The netmask's byte i for a prefix of the given length. */
static unsigned char
mask_byte(unsigned int prefix, size_t i)
{
	unsigned int	bits;

	if (prefix >= (i + 1) * 8)
		return 0xff;
	if (prefix <= i * 8)
		return 0;
	bits = prefix - (unsigned int)i * 8;
	return (unsigned char)(0xff << (8 - bits));
}

/*
 * Compare the first prefix bits of a and b: whole bytes first, then the
 * leading bits of the last, partial byte.
 */
static int
prefix_match(const unsigned char *a, const unsigned char *b,
    unsigned int prefix)
{
	unsigned int	 whole = prefix / 8, bits = prefix % 8;
	unsigned char	 mask;

	if (whole > 0 && memcmp(a, b, whole) != 0)
		return 0;
	if (bits == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - bits));
	return (a[whole] & mask) == (b[whole] & mask);
}

int
acl_parse_entry(const char *s, struct acl_entry *e, char *err, size_t errlen)
{
	char		 addr[ACL_ADDR_MAX];
	char		 net[INET6_ADDRSTRLEN];
	const char	*slash, *p;
	size_t		 alen, nbytes, i;
	unsigned int	 prefix, maxprefix;
	unsigned char	 buf[16];
	int		 family, has_prefix;

	if (s == NULL || *s == '\0')
		return acl_fail(err, errlen, "empty address");

	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0)
		return acl_fail(err, errlen, "missing address before '/'");
	if (alen >= sizeof(addr))
		return acl_fail(err, errlen, "address too long");
	memcpy(addr, s, alen);
	addr[alen] = '\0';

	memset(buf, 0, sizeof(buf));
	if (inet_pton(AF_INET, addr, buf) == 1) {
		family = AF_INET;
		maxprefix = 32;
	} else if (inet_pton(AF_INET6, addr, buf) == 1) {
		family = AF_INET6;
		maxprefix = 128;
	} else
		return acl_fail(err, errlen,
		    "not a numeric IPv4 or IPv6 address");

	prefix = maxprefix;
	has_prefix = slash != NULL;
	if (has_prefix) {
		p = slash + 1;
		if (*p == '\0')
			return acl_fail(err, errlen,
			    "missing prefix length after '/'");
		/* At most three digits, so the value cannot overflow. */
		prefix = 0;
		for (i = 0; p[i] != '\0'; i++) {
			if (p[i] < '0' || p[i] > '9' || i >= 3)
				return acl_fail(err, errlen,
				    "prefix length is not a number from 0 "
				    "to %u", maxprefix);
			prefix = prefix * 10 + (unsigned int)(p[i] - '0');
		}
		if (prefix > maxprefix)
			return acl_fail(err, errlen,
			    "prefix length %u is out of range 0-%u", prefix,
			    maxprefix);
	}

	/* Host bits beyond the prefix are almost always a typo. */
	nbytes = maxprefix / 8;
	for (i = 0; i < nbytes; i++)
		if ((buf[i] & ~mask_byte(prefix, i)) != 0)
			break;
	if (i < nbytes) {
		for (i = 0; i < nbytes; i++)
			buf[i] &= mask_byte(prefix, i);
		if (inet_ntop(family, buf, net, sizeof(net)) == NULL)
			net[0] = '\0';
		return acl_fail(err, errlen,
		    "host bits set beyond the prefix (network is %s/%u)",
		    net, prefix);
	}

	memset(e, 0, sizeof(*e));
	if (family == AF_INET6 && prefix >= 96 &&
	    memcmp(buf, v4mapped_prefix, sizeof(v4mapped_prefix)) == 0) {
		/* ::ffff:a.b.c.d/N is the IPv4 prefix a.b.c.d/(N-96). */
		e->family = AF_INET;
		memcpy(e->addr, buf + 12, 4);
		e->prefix = prefix - 96;
		return 0;
	}
	e->family = family;
	memcpy(e->addr, buf, family == AF_INET ? 4 : 16);
	e->prefix = prefix;
	return 0;
}

static int
entry_match(const struct acl_entry *e, int family, const unsigned char *addr)
{
	if (e->family != family)
		return 0;
	if (e->prefix > (family == AF_INET ? 32U : 128U))
		return 0;
	return prefix_match(e->addr, addr, e->prefix);
}

int
acl_match(const struct acl_entry *v, size_t n, const struct sockaddr *sa,
    socklen_t salen)
{
	static const struct acl_entry loopback[2] = {
		{ AF_INET, { 127 }, 8 },
		{ AF_INET6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		    128 },
	};
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	unsigned char			 a4[4], a6[16];
	int				 has4 = 0, has6 = 0;
	size_t				 i;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		if ((size_t)salen < sizeof(*sin))
			return 0;
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(a4, &sin->sin_addr, 4);
		has4 = 1;
	} else if (sa->sa_family == AF_INET6) {
		if ((size_t)salen < sizeof(*sin6))
			return 0;
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(a6, &sin6->sin6_addr, 16);
		has6 = 1;
		if (memcmp(a6, v4mapped_prefix, sizeof(v4mapped_prefix)) ==
		    0) {
			memcpy(a4, a6 + 12, 4);
			has4 = 1;
		}
	} else
		return 0;

	if (n == 0 || v == NULL) {
		v = loopback;
		n = 2;
	}
	for (i = 0; i < n; i++) {
		if (has4 && entry_match(&v[i], AF_INET, a4))
			return 1;
		if (has6 && entry_match(&v[i], AF_INET6, a6))
			return 1;
	}
	return 0;
}

void
acl_host_mask(int fam, const unsigned char addr[16], unsigned int prefix6,
    unsigned char key[16])
{
	unsigned int	prefix = fam == AF_INET6 ? prefix6 : 32;
	size_t		i;

	if (prefix == 0 || prefix > 128)
		prefix = 128;	/* a caller's slip must not merge everyone */
	for (i = 0; i < 16; i++)
		key[i] = addr[i] & mask_byte(prefix, i);
}

int
acl_host_key(const struct sockaddr *sa, socklen_t salen, unsigned int prefix6,
    int *fam, unsigned char key[16])
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;
	unsigned char			 a[16];

	memset(a, 0, sizeof(a));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		if ((size_t)salen < sizeof(*sin))
			return -1;
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(a, &sin->sin_addr, 4);
		*fam = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		if ((size_t)salen < sizeof(*sin6))
			return -1;
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (memcmp(&sin6->sin6_addr, v4mapped_prefix,
		    sizeof(v4mapped_prefix)) == 0) {
			/* One host whichever socket it came in on. */
			memcpy(a, (const unsigned char *)&sin6->sin6_addr + 12,
			    4);
			*fam = AF_INET;
		} else {
			memcpy(a, &sin6->sin6_addr, 16);
			*fam = AF_INET6;
		}
	} else
		return -1;
	acl_host_mask(*fam, a, prefix6, key);
	return 0;
}
