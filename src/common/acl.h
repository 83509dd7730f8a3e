/*
 * acl.h: the [allow] list.  Entries are numeric addresses with an optional
 * CIDR prefix; matching works on the numeric peer address only.
 */
#ifndef ARGO_ACL_H
#define ARGO_ACL_H

#include <stddef.h>
#include <sys/socket.h>

struct acl_entry {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network byte order; 4 used for v4 */
	unsigned int	prefix;		/* 0-32 or 0-128 */
};

/*
 * Parse "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6).  Surrounding blanks are not
 * accepted; the caller trims.  Host bits set beyond the prefix are an error.
 * Returns 0, or -1 with a one-line reason in err.
 */
int	acl_parse_entry(const char *s, struct acl_entry *e, char *err,
	    size_t errlen);

/*
 * Does the peer match one of the n entries?  With n == 0 only loopback
 * (127.0.0.0/8, ::1) matches.  IPv4-mapped IPv6 peers (::ffff:a.b.c.d)
 * are matched as IPv4.  Returns 1 or 0.
 */
int	acl_match(const struct acl_entry *v, size_t n,
	    const struct sockaddr *sa, socklen_t salen);

/*
 * Who counts as one host for max_per_host and the auth throttle: an IPv4
 * peer (or a v4-mapped IPv6 one, ::ffff:a.b.c.d) by its address, any other
 * IPv6 peer by its first prefix6 bits (1-128): one subscriber routinely
 * holds a whole /64, so counting its 2^64 addresses one by one limits
 * nothing.  acl_host_key() fills *fam (AF_INET or AF_INET6) and key (16
 * bytes, IPv4 in the first 4, the rest zero, host bits cleared): 0, or -1
 * for any other family or a short address.
 */
int	acl_host_key(const struct sockaddr *sa, socklen_t salen,
	    unsigned int prefix6, int *fam, unsigned char key[16]);
/* The same, from a (family, 16 bytes) pair as acl_host_key() makes with
 * prefix6 128: the key under another prefix6, into key (may be addr). */
void	acl_host_mask(int fam, const unsigned char addr[16],
	    unsigned int prefix6, unsigned char key[16]);

#endif
