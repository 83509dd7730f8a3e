/*
 * fuzz_config.c: the configuration loader (config.c over inih), fed
 * arbitrary bytes as argo-server.conf.
 *
 * The input is loaded twice: from memory (config_load_buffer) and as a
 * file (config_load on a memfd, mode 0600), and both must give the same
 * answer: the same struct, or the same message after the name.
 *
 * On success the struct must be fully validated, checked here again
 * without config.c's tables: every limit in its DESIGN.md 4 range,
 * workers <= max_clients, absolute paths (pidfile may be empty), 1 to 16
 * numeric listen addresses, allow entries in range with no host bits that
 * survive a round trip through acl_parse_entry(), users with valid unique
 * names, a crypt-looking hash each ('$', length >= 8, no blanks or control
 * bytes, accepted by crypt_checksalt), valid instance names never mixed
 * with '*'; every name, address and hash must appear in the input, which
 * must hold no NUL byte; config_user() must find each user.
 *
 * On failure the message must be NUL-terminated inside the buffer, one
 * line, "NAME:LINE: message" with 1 <= LINE <= the number of lines (or
 * "NAME: cannot parse"), and a short buffer must get a prefix of it.
 * Everything is freed, so LeakSanitizer sees any leak.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <crypt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "config_load.h"
#include "defs.h"
#include "xencfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c)	do { if (!(c)) abort(); } while (0)

#define NAME		"fuzz.conf"

static int
in_input(const uint8_t *data, size_t size, const char *s)
{
	return memmem(data, size, s, strlen(s)) != NULL;
}

static int
bit(const unsigned char *a, unsigned int i)
{
	return (a[i / 8] >> (7 - i % 8)) & 1;
}

static int
hash_looks_ok(const char *h)
{
	size_t	i, len = strlen(h);
	int	r;

	if (h[0] != '$' || len < 8 || strchr(h + 1, '$') == NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (h[i] <= ' ' || h[i] >= 0x7f)
			return 0;
	r = crypt_checksalt(h);
	return r == CRYPT_SALT_OK || r == CRYPT_SALT_METHOD_LEGACY ||
	    r == CRYPT_SALT_TOO_CHEAP;
}

static void
check_entry(const struct acl_entry *e)
{
	struct acl_entry	e2;
	char			text[INET6_ADDRSTRLEN + 8], err[ARGO_ERR_LEN];
	size_t			nbytes, len, i;
	unsigned int		b;

	CHECK(e->family == AF_INET || e->family == AF_INET6);
	nbytes = e->family == AF_INET ? 4 : 16;
	CHECK(e->prefix <= nbytes * 8);
	for (b = e->prefix; b < nbytes * 8; b++)
		CHECK(bit(e->addr, b) == 0);
	for (i = nbytes; i < 16; i++)
		CHECK(e->addr[i] == 0);
	CHECK(inet_ntop(e->family, e->addr, text, sizeof(text)) != NULL);
	len = strlen(text);
	snprintf(text + len, sizeof(text) - len, "/%u", e->prefix);
	CHECK(acl_parse_entry(text, &e2, err, sizeof(err)) == 0);
	CHECK(e2.family == e->family && e2.prefix == e->prefix);
	CHECK(memcmp(e2.addr, e->addr, 16) == 0);
}

static void
check_user(const struct config *c, const struct user *u, const uint8_t *data,
    size_t size, size_t nlines)
{
	size_t	j, k;

	CHECK(u->u_name != NULL);
	CHECK(xencfg_name_valid(u->u_name, strlen(u->u_name)));
	CHECK(in_input(data, size, u->u_name));
	CHECK(config_user(c, u->u_name) == u);
	/* A password, local uids (DESIGN.md 8), or both; never neither. */
	CHECK(u->u_hash != NULL || u->u_nuids > 0);
	if (u->u_hash != NULL) {
		CHECK(hash_looks_ok(u->u_hash));
		CHECK(in_input(data, size, u->u_hash));
	}
	CHECK(u->u_nuids == 0 || u->u_uids != NULL);
	/* A uid is one account's: who it is must not depend on order. */
	for (j = 0; j < u->u_nuids; j++)
		CHECK(config_user_by_uid(c, u->u_uids[j]) == u);
	CHECK(u->u_readonly == 0 || u->u_readonly == 1);
	CHECK(u->u_all == 0 || u->u_all == 1);
	CHECK(u->u_line >= 1 && (size_t)u->u_line <= nlines);
	CHECK(!(u->u_all && u->u_ninstances > 0));
	CHECK(u->u_ninstances == 0 || u->u_instances != NULL);
	for (j = 0; j < u->u_ninstances; j++) {
		const char *in = u->u_instances[j];

		CHECK(xencfg_name_valid(in, strlen(in)));
		CHECK(in_input(data, size, in));
		CHECK(config_user_sees(u, in));
	}
	/* Without '*', a name not listed is not seen. */
	if (!u->u_all) {
		for (k = 0; k < u->u_ninstances; k++)
			if (strcmp(u->u_instances[k], "zz-not-listed") == 0)
				break;
		CHECK(config_user_sees(u, "zz-not-listed") ==
		    (k < u->u_ninstances));
	} else
		CHECK(config_user_sees(u, "anything"));
}

static void
check_config(const struct config *c, const uint8_t *data, size_t size,
    size_t nlines)
{
	unsigned char	tmp[16];
	size_t		i, j;

	CHECK(memchr(data, '\0', size) == NULL);
	CHECK(c->c_path != NULL && strcmp(c->c_path, NAME) == 0);
	CHECK(c->c_port >= 0 && c->c_port <= 65535);
	CHECK(c->c_workers >= 1 && c->c_workers <= ARGO_HARD_MAX_CLIENTS);
	CHECK(c->c_max_clients >= 1 &&
	    c->c_max_clients <= ARGO_HARD_MAX_CLIENTS);
	CHECK(c->c_workers <= c->c_max_clients);
	CHECK(c->c_max_per_host >= 1 &&
	    c->c_max_per_host <= ARGO_HARD_MAX_CLIENTS);
	CHECK(c->c_idle_timeout >= 1 && c->c_idle_timeout <= 86400);
	CHECK(c->c_login_timeout >= 1 && c->c_login_timeout <= 3600);
	CHECK(c->c_max_auth_tries >= 1 && c->c_max_auth_tries <= 100);
	CHECK(c->c_toolstack_timeout >= 1 && c->c_toolstack_timeout <= 3600);
	CHECK(c->c_anonymous_read == 0 || c->c_anonymous_read == 1);
	CHECK(c->c_xen_dir != NULL && c->c_xen_dir[0] == '/');
	CHECK(c->c_toolstack != NULL && c->c_toolstack[0] == '/');
	CHECK(c->c_pidfile != NULL &&
	    (c->c_pidfile[0] == '\0' || c->c_pidfile[0] == '/'));
	CHECK(c->c_per_host_prefix6 >= 1 && c->c_per_host_prefix6 <= 128);
	CHECK(c->c_auth_throttle_after >= 0 &&
	    c->c_auth_throttle_after <= 1000);
	CHECK(c->c_auth_throttle_window >= 1 &&
	    c->c_auth_throttle_window <= 86400);
	CHECK(c->c_watch_interval >= 1 && c->c_watch_interval <= 60);
	CHECK(c->c_user != NULL && c->c_user[0] != '\0');
	CHECK(c->c_chroot != NULL && c->c_chroot[0] == '/');
	CHECK(c->c_socket != NULL &&
	    (c->c_socket[0] == '\0' || c->c_socket[0] == '/'));
	CHECK(c->c_socket_mode >= 0 && c->c_socket_mode <= 0777);
	CHECK(c->c_socket_group != NULL);

	CHECK(c->c_nlisten >= 1 && c->c_nlisten <= CONFIG_MAX_LISTEN);
	for (i = 0; i < c->c_nlisten; i++) {
		CHECK(inet_pton(AF_INET, c->c_listen[i], tmp) == 1 ||
		    inet_pton(AF_INET6, c->c_listen[i], tmp) == 1);
	}

	CHECK(c->c_nallow <= ARGO_MAX_ACL);
	CHECK(c->c_nallow == 0 || c->c_allow != NULL);
	for (i = 0; i < c->c_nallow; i++)
		check_entry(&c->c_allow[i]);

	CHECK(c->c_nusers <= ARGO_MAX_USERS);
	CHECK(c->c_nusers == 0 || c->c_users != NULL);
	for (i = 0; i < c->c_nusers; i++) {
		check_user(c, &c->c_users[i], data, size, nlines);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->c_users[i].u_name,
			    c->c_users[j].u_name) != 0);
	}
}

/* "NAME:LINE: message" or "NAME: cannot parse", one line. */
static void
check_err(const char *err, size_t errlen, size_t nlines)
{
	const char	*s;
	char		*end;
	unsigned long	 line;

	CHECK(memchr(err, '\0', errlen) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	s = err + strlen(NAME ":");
	if (strcmp(s, " cannot parse") == 0)
		return;
	CHECK(*s >= '1' && *s <= '9');
	line = strtoul(s, &end, 10);
	CHECK(line >= 1 && line <= (nlines > 0 ? nlines : 1));
	CHECK(end[0] == ':' && end[1] == ' ' && end[2] != '\0');
}

/* The same answer from a file: config_load() on a memfd. */
static void
check_file(const uint8_t *data, size_t size, const struct config *mc,
    const char *merr)
{
	static int	 fd = -2;
	static char	 path[64];
	struct config	*fc = NULL;
	char		 ferr[ARGO_ERR_LEN];
	size_t		 i, plen, j;
	int		 rc;

	if (fd == -2) {
		fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
		if (fd != -1 && fchmod(fd, 0600) == -1) {
			close(fd);
			fd = -1;
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (fd != -1 && access(path, R_OK) == -1) {
			close(fd);
			fd = -1;
		}
	}
	if (fd == -1)
		return;		/* no memfd or no /proc: memory only */
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

	memset(ferr, 'x', sizeof(ferr));
	rc = config_load(path, &fc, ferr, sizeof(ferr));
	CHECK(rc == (mc != NULL ? 0 : -1));
	if (rc != 0) {
		CHECK(memchr(ferr, '\0', sizeof(ferr)) != NULL);
		plen = strlen(path);
		CHECK(strncmp(ferr, path, plen) == 0);
		/* Both may be cut at ARGO_ERR_LEN: compare what both hold. */
		for (i = plen, j = strlen(NAME); ferr[i] != '\0' &&
		    merr[j] != '\0'; i++, j++)
			CHECK(ferr[i] == merr[j]);
		return;
	}
	CHECK(fc->c_port == mc->c_port && fc->c_workers == mc->c_workers);
	CHECK(fc->c_max_clients == mc->c_max_clients);
	CHECK(fc->c_max_per_host == mc->c_max_per_host);
	CHECK(fc->c_idle_timeout == mc->c_idle_timeout);
	CHECK(fc->c_login_timeout == mc->c_login_timeout);
	CHECK(fc->c_max_auth_tries == mc->c_max_auth_tries);
	CHECK(fc->c_toolstack_timeout == mc->c_toolstack_timeout);
	CHECK(fc->c_anonymous_read == mc->c_anonymous_read);
	CHECK(strcmp(fc->c_xen_dir, mc->c_xen_dir) == 0);
	CHECK(strcmp(fc->c_toolstack, mc->c_toolstack) == 0);
	CHECK(strcmp(fc->c_pidfile, mc->c_pidfile) == 0);
	CHECK(fc->c_per_host_prefix6 == mc->c_per_host_prefix6);
	CHECK(fc->c_auth_throttle_after == mc->c_auth_throttle_after);
	CHECK(fc->c_auth_throttle_window == mc->c_auth_throttle_window);
	CHECK(fc->c_watch_interval == mc->c_watch_interval);
	CHECK(strcmp(fc->c_user, mc->c_user) == 0);
	CHECK(strcmp(fc->c_chroot, mc->c_chroot) == 0);
	CHECK(strcmp(fc->c_socket, mc->c_socket) == 0);
	CHECK(fc->c_socket_mode == mc->c_socket_mode);
	CHECK(strcmp(fc->c_socket_group, mc->c_socket_group) == 0);
	CHECK(fc->c_nlisten == mc->c_nlisten);
	for (i = 0; i < fc->c_nlisten; i++)
		CHECK(strcmp(fc->c_listen[i], mc->c_listen[i]) == 0);
	CHECK(fc->c_nallow == mc->c_nallow);
	CHECK(fc->c_nallow == 0 || memcmp(fc->c_allow, mc->c_allow,
	    fc->c_nallow * sizeof(*fc->c_allow)) == 0);
	CHECK(fc->c_nusers == mc->c_nusers);
	for (i = 0; i < fc->c_nusers; i++) {
		const struct user *a = &fc->c_users[i], *b = &mc->c_users[i];

		CHECK(strcmp(a->u_name, b->u_name) == 0);
		CHECK((a->u_hash == NULL) == (b->u_hash == NULL));
		CHECK(a->u_hash == NULL || strcmp(a->u_hash, b->u_hash) == 0);
		CHECK(a->u_nuids == b->u_nuids);
		CHECK(a->u_nuids == 0 || memcmp(a->u_uids, b->u_uids,
		    a->u_nuids * sizeof(*a->u_uids)) == 0);
		CHECK(a->u_readonly == b->u_readonly && a->u_all == b->u_all);
		CHECK(a->u_line == b->u_line);
		CHECK(a->u_ninstances == b->u_ninstances);
		for (j = 0; j < a->u_ninstances; j++)
			CHECK(strcmp(a->u_instances[j],
			    b->u_instances[j]) == 0);
	}
	config_free(fc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*c = NULL, *c2 = NULL;
	char		 err[ARGO_ERR_LEN], err2[12];
	size_t		 i, nlines = 0;
	int		 rc, rc2;

	/* Lines as the reader counts them: a last one may lack its '\n'. */
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	if (size > 0 && data[size - 1] != '\n')
		nlines++;

	memset(err, 'x', sizeof(err));
	rc = config_load_buffer(NAME, (const char *)data, size, &c, err,
	    sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECK(c != NULL);
		check_config(c, data, size, nlines);
	} else {
		CHECK(c == NULL);
		check_err(err, sizeof(err), nlines);
	}
	/* A NUL byte anywhere is refused, as in a file. */
	if (memchr(data, '\0', size) != NULL)
		CHECK(rc == -1);

	/* A short message buffer gets a prefix of the same message. */
	memset(err2, 'x', sizeof(err2));
	rc2 = config_load_buffer(NAME, (const char *)data, size, &c2, err2,
	    sizeof(err2));
	CHECK(rc2 == rc);
	if (rc2 == 0)
		config_free(c2);
	else {
		CHECK(c2 == NULL);
		CHECK(memchr(err2, '\0', sizeof(err2)) != NULL);
		CHECK(strncmp(err2, err, strlen(err2)) == 0);
	}

	check_file(data, size, c, rc == 0 ? NULL : err);
	config_free(c);
	return 0;
}
