/*
 * fuzz_confwire.c: the configuration an argo-worker unpacks from its
 * handoff (confwire.h).  Whatever the bytes, the unpacker must refuse
 * them or build a config within the limits; one it builds must pack
 * again to exactly the bytes it came from.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confwire.h"
#include "defs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c = NULL;
	unsigned char	*again;
	size_t		 len, i;
	char		 err[ARGO_ERR_LEN];

	if (confwire_unpack(data, size, &c, err, sizeof(err)) == -1) {
		CHECK(c == NULL && err[0] != '\0');
		return (0);
	}
	CHECK(c->c_workers >= 1 && c->c_workers <= ARGO_HARD_MAX_CLIENTS);
	CHECK(c->c_nallow <= ARGO_MAX_ACL && c->c_nusers <= ARGO_MAX_USERS);
	for (i = 0; i < c->c_nusers; i++) {
		CHECK(c->c_users[i].u_hash == NULL);
		CHECK(strlen(c->c_users[i].u_name) <= ARGO_MAX_NAME);
	}
	again = confwire_pack(c, &len);
	CHECK(len == size && memcmp(again, data, size) == 0);
	free(again);
	config_free(c);
	return (0);
}
