/*
 * argo.c: the argo client's command line (argo(1)).
 *
 *	argo [-o] [-p PORT] [-u USER] [-j JOBS] [-t SECONDS] [-H FILE]
 *	    HOST[,HOST...] [COMMAND [ARG...]]
 *	argo [options] -l [COMMAND [ARG...]]	(the local socket)
 *	argo -R				(the far end of ssh://)
 *
 * Everything that can be wrong with the command line is found here,
 * before any connection, and is exit 64: a script that passes a bad host
 * or an over-long command learns it from the status, and no host gets
 * half of a fleet's work.  The command's words are joined with single
 * spaces (the server splits on blanks anyway, so `argo h "list running"`
 * works), and must not hold what the protocol cannot carry: a line end,
 * another control byte, or more than ARGO_MAX_LINE bytes.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "argo.h"
#include "fleet.h"
#include "hostspec.h"
#include "interact.h"
#include "net.h"
#include "password.h"
#include "transport.h"
#include "watch.h"
#include "xutil.h"

static void __attribute__((noreturn))
usage(void)
{
	(void)printf(
	    "usage: argo [-o] [-p PORT] [-u USER] [-j JOBS] [-t SECONDS] "
	    "[-H FILE]\n"
	    "            HOST[,HOST...] [COMMAND [ARG...]]\n"
	    "       argo [options] -H FILE [COMMAND [ARG...]]\n"
	    "       argo [options] -l [COMMAND [ARG...]]\n"
	    "       argo -R | -V | -h\n"
	    "A HOST is NAME[:PORT], ADDR[:PORT], [V6]:PORT, unix:PATH or\n"
	    "ssh://[USER@]HOST[:PORT] (ssh from ARGO_SSH, else ssh).\n"
	    "  -H FILE     hosts from FILE, one a line, # comments "
	    "(- for stdin)\n"
	    "  -j JOBS     connections in flight at most (default %d)\n"
	    "  -l          this host's daemon, over its socket (ARGO_SOCKET,\n"
	    "              else " ARGO_DEFAULT_SOCKET ")\n"
	    "  -o          output in host order, not as replies arrive\n"
	    "  -p PORT     port of hosts given without one (default %d)\n"
	    "  -R          relay stdin and stdout to the local socket (the\n"
	    "              remote command of ssh:// hosts)\n"
	    "  -t SECONDS  deadline per host for connect and reply "
	    "(default %d;\n"
	    "              watch: until the stream starts)\n"
	    "  -u USER     log in first; password from ARGO_PASSWORD,\n"
	    "              ARGO_PASSWORD_FILE (mode 0600) or the terminal\n"
	    "  -V          print the version\n"
	    "  -h          print this help\n"
	    "No COMMAND: an interactive session with one host.\n"
	    "watch: every host's changes as they come, until Ctrl-C.\n"
	    "Exit status: 0 all answered 200, 1 some 400, 2 some not "
	    "reached, 64 bad use.\n",
	    ARGO_CLIENT_JOBS, ARGO_DEFAULT_PORT, ARGO_CLIENT_TIMEOUT);
	exit(0);
}

static int
number(const char *opt, const char *s, long min, long max)
{
	long	v;

	if (util_parse_long(s, min, max, &v) == -1)
		xdie(ARGO_EXIT_USAGE, "%s %s: not a number from %ld to %ld",
		    opt, s, min, max);
	return ((int)v);
}

/* The command's words, checked and joined: a malloc'd line. */
static char *
command_line(int argc, char **argv, size_t *lenp)
{
	size_t	 len = 0, i, cap = 0;
	char	*line = NULL, *p;
	int	 k;

	for (k = 0; k < argc; k++)
		cap += strlen(argv[k]) + 1;
	line = xmalloc(cap + 1);
	for (k = 0; k < argc; k++)
		for (p = argv[k]; *p != '\0'; ) {
			if (argo_is_ctl((unsigned char)*p))
				xdie(ARGO_EXIT_USAGE, "the command holds a "
				    "control character (a line end?), which "
				    "the protocol cannot carry");
			if (argo_is_blank(*p)) {
				p++;
				continue;
			}
			if (len > 0)
				line[len++] = ' ';
			for (i = 0; p[i] != '\0' && !argo_is_blank(p[i]) &&
			    !argo_is_ctl((unsigned char)p[i]); i++)
				line[len++] = p[i];
			p += i;
		}
	line[len] = '\0';
	if (len == 0)
		xdie(ARGO_EXIT_USAGE, "empty command");
	if (len > ARGO_MAX_LINE)
		xdie(ARGO_EXIT_USAGE, "the command is %zu bytes; the server "
		    "takes %d at most", len, ARGO_MAX_LINE);
	*lenp = len;
	return (line);
}

/* Is the first word of line w (any case)? */
static int
first_is(const char *line, const char *w)
{
	size_t	n = strlen(w);

	return (strncasecmp(line, w, n) == 0 &&
	    (line[n] == '\0' || line[n] == ' '));
}

static void
check_word(const char *what, const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (argo_is_blank(*p) || argo_is_ctl((unsigned char)*p))
			xdie(ARGO_EXIT_USAGE, "the %s holds a blank or a "
			    "control character, which the protocol cannot "
			    "carry", what);
}

/* Enough descriptors for jobs sockets, raising the soft limit if need be. */
static void
fd_room(int jobs)
{
	struct rlimit	rl;
	rlim_t		need = (rlim_t)jobs + 16;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		xdie(ARGO_EXIT_USAGE, "-j %d needs %lu descriptors; the limit "
		    "is %lu", jobs, (unsigned long)need,
		    (unsigned long)rl.rlim_max);
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		xdie(ARGO_EXIT_USAGE, "-j %d: setrlimit: %s", jobs,
		    strerror(errno));
}

int
main(int argc, char *argv[])
{
	struct hostlist	 hl;
	struct opts	 o;
	struct request	 rq;
	const char	*files[16], *user = NULL;
	char		 port[6], err[ARGO_CLIENT_ERR + 64], *line = NULL;
	char		*pass = NULL;
	int		 ch, nfiles = 0, stdin_hosts = 0, i, status, pnum;
	int		 local = 0;
	int		 watching;

	memset(&hl, 0, sizeof(hl));
	memset(&rq, 0, sizeof(rq));
	o.o_jobs = ARGO_CLIENT_JOBS;
	o.o_timeout = ARGO_CLIENT_TIMEOUT;
	o.o_ordered = 0;
	pnum = ARGO_DEFAULT_PORT;
	/* "+": options end at the host, so a command word may start with -. */
	opterr = 0;	/* our own one-line messages */
	while ((ch = getopt(argc, argv, "+:H:hj:lop:Rt:u:V")) != -1) {
		switch (ch) {
		case 'H':
			if (nfiles == (int)(sizeof(files) / sizeof(files[0])))
				xdie(ARGO_EXIT_USAGE, "too many -H");
			files[nfiles++] = optarg;
			break;
		case 'h':
			usage();
			/* NOTREACHED */
		case 'j':
			o.o_jobs = number("-j", optarg, 1,
			    ARGO_CLIENT_MAX_JOBS);
			break;
		case 'l':
			local = 1;
			break;
		case 'o':
			o.o_ordered = 1;
			break;
		case 'R':
			/* Alone: sshd runs exactly `argo -R`. */
			if (argc != 2)
				xdie(ARGO_EXIT_USAGE, "-R takes no other option "
				    "or operand");
			return (relay_run());
		case 'p':
			pnum = number("-p", optarg, 1, 65535);
			break;
		case 't':
			o.o_timeout = number("-t", optarg, 1,
			    ARGO_CLIENT_MAX_TIMEOUT);
			break;
		case 'u':
			user = optarg;
			break;
		case 'V':
			(void)printf("argo %s\n", ARGO_VERSION);
			return (0);
		case ':':
			xdie(ARGO_EXIT_USAGE, "-%c needs an argument (argo -h "
			    "for help)", optopt);
			/* NOTREACHED */
		default:
			xdie(ARGO_EXIT_USAGE, "unknown option -%c (argo -h for "
			    "help)", optopt);
		}
	}
	argc -= optind;
	argv += optind;
	(void)snprintf(port, sizeof(port), "%d", pnum);

	for (i = 0; i < nfiles; i++) {
		if (strcmp(files[i], "-") == 0 && stdin_hosts++)
			xdie(ARGO_EXIT_USAGE, "-H - given twice");
		if (hosts_add_file(&hl, files[i], port, err, sizeof(err)) == -1)
			xdie(ARGO_EXIT_USAGE, "%s", err);
	}
	if (local) {
		const char	*sock = getenv("ARGO_SOCKET");
		char		 spec[ARGO_CLIENT_MAX_UNIX + 8];

		if (nfiles > 0)
			xdie(ARGO_EXIT_USAGE, "-l and -H cannot be mixed");
		if (sock == NULL || sock[0] == '\0')
			sock = ARGO_DEFAULT_SOCKET;
		(void)snprintf(spec, sizeof(spec), "unix:%s", sock);
		if (hosts_add_list(&hl, spec, port, err, sizeof(err)) == -1)
			xdie(ARGO_EXIT_USAGE, "ARGO_SOCKET: %s", err);
	} else if (nfiles == 0) {
		if (argc == 0)
			xdie(ARGO_EXIT_USAGE, "no host given (usage: argo "
			    "[options] HOST[,HOST...] [COMMAND]; argo -h for "
			    "help)");
		if (hosts_add_list(&hl, argv[0], port, err, sizeof(err)) == -1)
			xdie(ARGO_EXIT_USAGE, "%s", err);
		argc--;
		argv++;
	}
	if (hl.hl_n == 0)
		xdie(ARGO_EXIT_USAGE, "no host given (the host file is empty)");
	if (argc > 0) {
		line = command_line(argc, argv, &rq.rq_len);
		rq.rq_line = line;
		if (first_is(line, "auth"))
			xdie(ARGO_EXIT_USAGE, "use -u USER to log in: a "
			    "password on the command line is visible to "
			    "every user of this host");
	}
	if (line == NULL || first_is(line, "console")) {
		const char	*what = line == NULL ?
		    "an interactive session" : "console";

		if (hl.hl_n != 1)
			xdie(ARGO_EXIT_USAGE, "%s needs exactly one host, not "
			    "%zu", what, hl.hl_n);
		if (stdin_hosts)
			xdie(ARGO_EXIT_USAGE, "%s reads stdin, which -H - "
			    "already used", what);
		if (line != NULL && (line[7] != ' ' ||
		    strchr(line + 8, ' ') != NULL))
			xdie(ARGO_EXIT_USAGE, "usage: argo HOST console NAME");
	}
	if (user != NULL) {
		check_word("user name", user);
		if (*user == '\0')
			xdie(ARGO_EXIT_USAGE, "-u: empty user name");
		if ((pass = password_get(user, err, sizeof(err))) == NULL)
			xdie(ARGO_EXIT_USAGE, "%s", err);
		check_word("password", pass);
		if (5 + strlen(user) + 1 + strlen(pass) > ARGO_MAX_LINE)
			xdie(ARGO_EXIT_USAGE, "user name and password are too "
			    "long for one request line");
		rq.rq_user = user;
		rq.rq_pass = pass;
	}
	/* A watch holds every host's connection at once (watch.c). */
	watching = line != NULL && first_is(line, "watch");
	fd_room(watching && hl.hl_n > (size_t)o.o_jobs ? (int)hl.hl_n :
	    o.o_jobs);
	if (net_init() == -1)
		xdie(ARGO_EXIT_OSERR, "signalfd: %s", strerror(errno));

	if (line == NULL)
		status = interact_run(&hl.hl_hosts[0], &rq, &o);
	else if (first_is(line, "console"))
		status = interact_console(&hl.hl_hosts[0], &rq, &o, line + 8);
	else if (watching)
		status = watch_run(hl.hl_hosts, hl.hl_n, &rq, &o);
	else
		status = fleet_run(hl.hl_hosts, hl.hl_n, &rq, &o);

	if (pass != NULL)
		xfree_secret(pass, strlen(pass) + 1);
	free(line);
	hosts_free(&hl);
	return (status);
}
