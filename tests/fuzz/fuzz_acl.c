/*
 * fuzz_acl.c: parsing `client =` values and matching peers.
 *
 * The input up to its first NUL (at most 127 bytes) is the entry; the bytes
 * after that NUL, if any, are a peer address (4 bytes: IPv4; 16: IPv6).
 * With no entries the peer must be admitted exactly when it is loopback.
 * An accepted entry must be in range, have no host bits, survive a round
 * trip through inet_ntop(), contain its own first and last address, and
 * match exactly the peers a bit-by-bit comparison written here says it
 * should, for fixed peers and the fuzzed one, native and IPv4-mapped.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

static int
bit(const unsigned char *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

/* Reference: does addr lie in e (same family)? */
static int
in_prefix(const struct acl_entry *e, const unsigned char *addr)
{
	unsigned int	i;

	for (i = 0; i < e->prefix; i++)
		if (bit(e->addr, i) != bit(addr, i))
			return 0;
	return 1;
}

static int
peer4(const struct acl_entry *e, size_t n, const unsigned char *a)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, a, 4);
	return acl_match(e, n, (struct sockaddr *)&sin, sizeof(sin));
}

static int
peer6(const struct acl_entry *e, size_t n, const unsigned char *a)
{
	struct sockaddr_in6	sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, a, 16);
	return acl_match(e, n, (struct sockaddr *)&sin6, sizeof(sin6));
}

/* Check e against one IPv4 and one IPv6 peer. */
static void
check_peers(const struct acl_entry *e, const unsigned char *a4,
    const unsigned char *a6)
{
	unsigned char	mapped[16];
	int		want;

	memset(mapped, 0, 10);
	mapped[10] = mapped[11] = 0xff;
	memcpy(mapped + 12, a4, 4);
	want = e->family == AF_INET && in_prefix(e, a4);
	CHECK(peer4(e, 1, a4) == want);
	/* A mapped peer: as IPv4 for IPv4 entries, as IPv6 for IPv6. */
	CHECK(peer6(e, 1, mapped) ==
	    (want || (e->family == AF_INET6 && in_prefix(e, mapped))));
	want = e->family == AF_INET6 && in_prefix(e, a6);
	if (memcmp(a6, mapped, 12) == 0)
		want = want || (e->family == AF_INET && in_prefix(e, a6 + 12));
	CHECK(peer6(e, 1, a6) == want);
}

/* With no entries, exactly loopback is admitted: 127.0.0.0/8 and ::1. */
static void
check_loopback(const unsigned char *a4, const unsigned char *a6)
{
	static const unsigned char	one[16] = { [15] = 1 };
	static const unsigned char	mapped[12] = { [10] = 0xff, 0xff };

	CHECK(peer4(NULL, 0, a4) == (a4[0] == 127));
	CHECK(peer6(NULL, 0, a6) == (memcmp(a6, one, 16) == 0 ||
	    (memcmp(a6, mapped, 12) == 0 && a6[12] == 127)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char fixed4[][4] = {
		{ 127, 0, 0, 1 }, { 10, 0, 0, 1 }, { 0, 0, 0, 0 },
		{ 255, 255, 255, 255 }, { 192, 168, 1, 77 },
	};
	static const unsigned char fixed6[][16] = {
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	struct acl_entry	e, e2;
	char			s[128], text[128], err[256];
	unsigned char		first[16], last[16], p4[4], p6[16];
	size_t			len, rest, i, nbytes;
	unsigned int		b;
	const uint8_t		*nul;

	nul = memchr(data, '\0', size);
	len = nul != NULL ? (size_t)(nul - data) : size;

	/* The fuzzed peer: the bytes after the NUL. */
	memset(p4, 0, sizeof(p4));
	memset(p6, 0, sizeof(p6));
	if (nul != NULL) {
		rest = size - (size_t)(nul + 1 - data);
		memcpy(p4, nul + 1, rest < 4 ? rest : 4);
		memcpy(p6, nul + 1, rest < 16 ? rest : 16);
		check_loopback(p4, p6);
	}

	if (len >= sizeof(s))
		return 0;
	memcpy(s, data, len);
	s[len] = '\0';

	memset(err, 'x', sizeof(err));
	if (acl_parse_entry(s, &e, err, sizeof(err)) != 0) {
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(err[0] != '\0');
		return 0;
	}
	CHECK(e.family == AF_INET || e.family == AF_INET6);
	nbytes = e.family == AF_INET ? 4 : 16;
	CHECK(e.prefix <= nbytes * 8);
	for (b = e.prefix; b < nbytes * 8; b++)
		CHECK(bit(e.addr, b) == 0);
	for (i = nbytes; i < 16; i++)
		CHECK(e.addr[i] == 0);

	/* Round trip. */
	CHECK(inet_ntop(e.family, e.addr, text, sizeof(text)) != NULL);
	len = strlen(text);
	snprintf(text + len, sizeof(text) - len, "/%u", e.prefix);
	CHECK(acl_parse_entry(text, &e2, err, sizeof(err)) == 0);
	CHECK(e2.family == e.family && e2.prefix == e.prefix);
	CHECK(memcmp(e2.addr, e.addr, nbytes) == 0);

	/* The first and the last address of the range. */
	memcpy(first, e.addr, 16);
	memcpy(last, e.addr, 16);
	for (b = e.prefix; b < nbytes * 8; b++)
		last[b / 8] |= (unsigned char)(0x80 >> (b % 8));
	if (e.family == AF_INET) {
		CHECK(peer4(&e, 1, first) && peer4(&e, 1, last));
	} else
		CHECK(peer6(&e, 1, first) && peer6(&e, 1, last));

	for (i = 0; i < sizeof(fixed4) / sizeof(fixed4[0]); i++)
		check_peers(&e, fixed4[i], fixed6[i % 4]);

	if (nul != NULL)
		check_peers(&e, p4, p6);
	return 0;
}
