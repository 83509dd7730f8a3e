/*
 * test_hostspec.c: host specs (argo(1) HOSTS), table-driven: what each
 * spec parses to, or that it is refused; lists, duplicates, host files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostspec.h"

struct good {
	const char	*spec;
	const char	*name;
	const char	*port;
	int		 numeric;
};

static const struct good goods[] = {
	{ "dom0", "dom0", "20203", 0 },
	{ "dom0.example.org", "dom0.example.org", "20203", 0 },
	{ "dom0.example.org.", "dom0.example.org.", "20203", 0 },
	{ "xen-01_a", "xen-01_a", "20203", 0 },
	{ "dom0:4000", "dom0", "4000", 0 },
	{ "dom0:065535", "dom0", "65535", 0 },
	{ "192.0.2.7", "192.0.2.7", "20203", 1 },
	{ "192.0.2.7:1", "192.0.2.7", "1", 1 },
	{ "[::1]:20300", "::1", "20300", 1 },
	{ "[2001:db8::7]", "2001:db8::7", "20203", 1 },
	{ "2001:db8::7", "2001:db8::7", "20203", 1 },
	{ "[fe80::1%lo]:5", "fe80::1%lo", "5", 1 },
	{ "9lives", "9lives", "20203", 0 },
};

static const char *bads[] = {
	"", ":20203", "dom0:", "dom0:0", "dom0:65536", "dom0:x", "dom0:1:2x",
	"-dom0", ".dom0", "a..b", "dom 0", "dom0!", "10.1", "1234",
	"256.1.1.1", "1.2.3.4.5", "[::1", "[::1]x", "[::1]:", "[]", "[dom0]",
	"[1.2.3.4]:5", "::g", "a:b:c", "caf\xc3\xa9",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	NULL
};

static void
test_good(void **state)
{
	struct host	h;
	char		err[256];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		if (host_parse(goods[i].spec, "20203", &h, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", goods[i].spec, err);
		assert_string_equal(h.h_spec, goods[i].spec);
		assert_string_equal(h.h_name, goods[i].name);
		assert_string_equal(h.h_port, goods[i].port);
		assert_int_equal(h.h_numeric, goods[i].numeric);
		host_free(&h);
	}
}

static void
test_bad(void **state)
{
	struct host	h;
	char		err[256], longname[300];
	size_t		i;

	(void)state;
	for (i = 0; bads[i] != NULL; i++) {
		err[0] = '\0';
		if (host_parse(bads[i], "20203", &h, err, sizeof(err)) == 0)
			fail_msg("accepted: \"%s\"", bads[i]);
		assert_true(err[0] != '\0');
	}
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(host_parse(longname, "1", &h, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than"));
}

/* DESIGN.md 8: unix:PATH and ssh://[USER@]HOST[:PORT]. */
struct xgood {
	const char	*spec;
	enum host_kind	 kind;
	const char	*name;
	const char	*port;
	const char	*user;
};

static const struct xgood xgoods[] = {
	{ "unix:/run/argo-server/argo.sock", HOST_UNIX,
	    "/run/argo-server/argo.sock", "", NULL },
	{ "unix:rel/sock", HOST_UNIX, "rel/sock", "", NULL },
	{ "ssh://dom1", HOST_SSH, "dom1", "", NULL },
	{ "ssh://ops@dom1", HOST_SSH, "dom1", "", "ops" },
	{ "ssh://dom2:2222", HOST_SSH, "dom2", "2222", NULL },
	{ "ssh://o.p-s_1@dom2.example.org:22", HOST_SSH, "dom2.example.org",
	    "22", "o.p-s_1" },
	{ "ssh://127.0.0.3", HOST_SSH, "127.0.0.3", "", NULL },
	{ "ssh://[::1]:2200", HOST_SSH, "::1", "2200", NULL },
	{ "ssh://root@[2001:db8::7]", HOST_SSH, "2001:db8::7", "", "root" },
};

static const char *xbads[] = {
	"unix:", "ssh://", "ssh://@dom1", "ssh://ops@", "ssh://-oProxyCommand=x",
	"ssh://-l@dom1", "ssh://ops@-dom1", "ssh://dom1:0", "ssh://dom1:x",
	"ssh://dom1:", "ssh://dom1/", "ssh://dom1/path", "ssh://a@b@dom1",
	"ssh://o ps@dom1", "ssh://dom 1", "ssh://unix:/x", "ssh://ssh://dom1",
	"ssh:dom1", "ssh//dom1", "ssh://10.1", "ssh://[::1",
	"ssh://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@dom1",
	NULL
};

static void
test_other_transports(void **state)
{
	struct host	h;
	char		err[256], longpath[200];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(xgoods) / sizeof(xgoods[0]); i++) {
		if (host_parse(xgoods[i].spec, "20203", &h, err,
		    sizeof(err)) != 0)
			fail_msg("%s: %s", xgoods[i].spec, err);
		assert_string_equal(h.h_spec, xgoods[i].spec);
		assert_int_equal(h.h_kind, xgoods[i].kind);
		assert_string_equal(h.h_name, xgoods[i].name);
		if (xgoods[i].kind == HOST_SSH)
			assert_string_equal(h.h_port, xgoods[i].port);
		if (xgoods[i].user == NULL)
			assert_null(h.h_user);
		else
			assert_string_equal(h.h_user, xgoods[i].user);
		host_free(&h);
	}
	for (i = 0; xbads[i] != NULL; i++) {
		err[0] = '\0';
		if (host_parse(xbads[i], "20203", &h, err, sizeof(err)) == 0)
			fail_msg("accepted: \"%s\"", xbads[i]);
		assert_true(err[0] != '\0');
	}
	/* sun_path holds 107 bytes and the NUL. */
	memcpy(longpath, "unix:", 5);
	memset(longpath + 5, 'a', 108);
	longpath[113] = '\0';
	assert_int_equal(host_parse(longpath, "1", &h, err, sizeof(err)), -1);
	longpath[112] = '\0';
	assert_int_equal(host_parse(longpath, "1", &h, err, sizeof(err)), 0);
	host_free(&h);
}

static void
test_mixed_list(void **state)
{
	struct hostlist	hl;
	char		err[256];

	(void)state;
	memset(&hl, 0, sizeof(hl));
	assert_int_equal(hosts_add_list(&hl, "ssh://ops@dom1,dom1,"
	    "ssh://dom1,unix:/s,ssh://ops@dom1,unix:/s,ssh://ops@dom1:22",
	    "20203", err, sizeof(err)), 0);
	/* Kind, user and port make a host; the repeats are asked once. */
	assert_int_equal(hl.hl_n, 5);
	assert_int_equal(hl.hl_hosts[0].h_kind, HOST_SSH);
	assert_int_equal(hl.hl_hosts[1].h_kind, HOST_TCP);
	assert_string_equal(hl.hl_hosts[2].h_spec, "ssh://dom1");
	assert_int_equal(hl.hl_hosts[3].h_kind, HOST_UNIX);
	assert_string_equal(hl.hl_hosts[4].h_spec, "ssh://ops@dom1:22");
	hosts_free(&hl);
}

static void
test_list(void **state)
{
	struct hostlist	hl;
	char		err[256];

	(void)state;
	memset(&hl, 0, sizeof(hl));
	assert_int_equal(hosts_add_list(&hl, "a,b:1,a,A,a:20203,[::1]", "20203",
	    err, sizeof(err)), 0);
	/* a, A and a:20203 are one host; b:1 and ::1 the others. */
	assert_int_equal(hl.hl_n, 3);
	assert_string_equal(hl.hl_hosts[0].h_spec, "a");
	assert_string_equal(hl.hl_hosts[1].h_spec, "b:1");
	assert_string_equal(hl.hl_hosts[2].h_spec, "[::1]");
	assert_int_equal(hosts_add_list(&hl, "c,,d", "20203", err,
	    sizeof(err)), -1);
	assert_int_equal(hosts_add_list(&hl, "c,", "20203", err,
	    sizeof(err)), -1);
	hosts_free(&hl);
	assert_int_equal(hl.hl_n, 0);
}

static void
test_file(void **state)
{
	struct hostlist	 hl;
	char		 path[] = "/tmp/argo-hosts.XXXXXX", err[512];
	const char	*text = "# fleet\n\n  dom1  # rack 1\r\n\tdom2:7\n"
			    "dom1\n   \n[::1]:9 # v6\n";
	int		 fd;

	(void)state;
	memset(&hl, 0, sizeof(hl));
	assert_true((fd = mkstemp(path)) != -1);
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	assert_int_equal(hosts_add_file(&hl, path, "20203", err, sizeof(err)),
	    0);
	assert_int_equal(hl.hl_n, 3);
	assert_string_equal(hl.hl_hosts[0].h_spec, "dom1");
	assert_string_equal(hl.hl_hosts[1].h_spec, "dom2:7");
	assert_string_equal(hl.hl_hosts[2].h_spec, "[::1]:9");
	hosts_free(&hl);

	/* A bad line is named by its number. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	text = "ok1\nok2\nnot ok\n";
	assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
	assert_int_equal(hosts_add_file(&hl, path, "20203", err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, ":3: "));
	hosts_free(&hl);
	(void)close(fd);
	(void)unlink(path);
	assert_int_equal(hosts_add_file(&hl, path, "20203", err, sizeof(err)),
	    -1);
	hosts_free(&hl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_other_transports),
		cmocka_unit_test(test_mixed_list),
		cmocka_unit_test(test_file),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
