/*
 * hashcost.c: the cost class of a password hash (hashcost.h).  Pure
 * string work: linked by the broker (to check a failed auth against one
 * hash of every class) and by the configuration reader (to bound the
 * number of classes).  The formats are libxcrypt's crypt(5).
 */
#include <string.h>

#include "hashcost.h"

/* Methods whose cost parameters are the field after the method's id. */
static const char *const param_field[] = {
	"y", "gy", "sm3y", "sha1", "2a", "2b", "2x", "2y",
};
/* Methods whose only parameter is an optional "rounds=N$" field. */
static const char *const rounds_field[] = { "5", "6", "sm3" };
/* Methods with a fixed cost. */
static const char *const fixed[] = { "1", "3", "md5" };

static int
in(const char *id, size_t len, const char *const *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strlen(v[i]) == len && memcmp(v[i], id, len) == 0)
			return (1);
	return (0);
}

#define IN(id, len, v)	in(id, len, v, sizeof(v) / sizeof((v)[0]))

/* Length of the "$id$" or "$id$params$" prefix that sets the cost. */
static size_t
cost_prefix(const char *h)
{
	const char	*id, *end, *p;
	size_t		 idlen;

	if (h[0] != '$')
		return (strlen(h));
	id = h + 1;
	if ((end = strchr(id, '$')) == NULL)
		return (strlen(h));
	idlen = (size_t)(end - id);
	p = end + 1;
	/* SunMD5 writes its rounds into the id: "$md5,rounds=N$". */
	if (IN(id, idlen, fixed) || (idlen > 4 && memcmp(id, "md5,", 4) == 0))
		return ((size_t)(p - h));
	if (IN(id, idlen, rounds_field)) {
		if (strncmp(p, "rounds=", 7) == 0 &&
		    (end = strchr(p, '$')) != NULL)
			return ((size_t)(end + 1 - h));
		return ((size_t)(p - h));
	}
	if (IN(id, idlen, param_field) && (end = strchr(p, '$')) != NULL)
		return ((size_t)(end + 1 - h));
	/* scrypt: N, r and p in the 11 characters after "$7$". */
	if (idlen == 1 && id[0] == '7' && strlen(p) >= 11)
		return ((size_t)(p + 11 - h));
	return (strlen(h));
}

size_t
hashcost_key(const char *hash, char *key, size_t keylen)
{
	size_t	n = cost_prefix(hash);

	if (keylen == 0)
		return (0);
	if (n >= keylen)
		n = keylen - 1;
	memcpy(key, hash, n);
	key[n] = '\0';
	return (n);
}

size_t
hashcost_reps(const struct user *u, size_t n, size_t *rep, size_t max)
{
	size_t	len[HASHCOST_MAX + 1], i, j, l, nrep = 0;

	if (max > HASHCOST_MAX)
		max = HASHCOST_MAX;
	for (i = 0; i < n && nrep <= max; i++) {
		if (u[i].u_hash == NULL)
			continue;
		l = cost_prefix(u[i].u_hash);
		for (j = 0; j < nrep; j++)
			if (len[j] == l &&
			    memcmp(u[rep[j]].u_hash, u[i].u_hash, l) == 0)
				break;
		if (j < nrep)
			continue;
		len[nrep] = l;
		rep[nrep++] = i;
	}
	return (nrep);
}

int
hashcost_same(const char *a, const char *b)
{
	size_t	la = cost_prefix(a), lb = cost_prefix(b);

	return (la == lb && memcmp(a, b, la) == 0);
}
