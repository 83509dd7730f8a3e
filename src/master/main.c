/*
 * main.c: options, configuration, listeners, detaching, then the master.
 * Everything that can fail at start-up fails here, on the terminal, before
 * the process detaches.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "config_load.h"
#include "daemon.h"
#include "defs.h"
#include "listener.h"
#include "log.h"
#include "prefork.h"
#include "sandbox.h"
#include "util.h"

/* What we print on stdout is the product of -H, -V, -t: a lost write
 * (a full disk under "-H > file") must not exit 0. */
static int
flush_stdout(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		(void)fprintf(stderr, "argo-server: standard output: %s\n",
		    strerror(errno));
		return (1);
	}
	return (rc);
}

static void
usage(FILE *fp)
{
	(void)fprintf(fp, "usage: argo-server [-f] [-d] [-c FILE] [-p PORT] "
	    "[-t] [-H] [-V] [-h]\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -d       debug logging\n"
	    "  -c FILE  configuration file (default %s)\n"
	    "  -p PORT  listen on PORT (overrides port in the file)\n"
	    "  -t       check the configuration and exit\n"
	    "  -H       read a password on stdin, print its crypt(3) hash\n"
	    "  -V       print the version\n"
	    "  -h       this help\n", ARGO_DEFAULT_CONFIG);
}

/* -H: a yescrypt hash for the [user] password key. */
static int
make_hash(void)
{
	struct termios	 old, noecho;
	char		 pw[ARGO_MAX_PASSWORD + 2], *salt, *h;
	void		*data = NULL;
	int		 size = 0, tty = isatty(STDIN_FILENO);
	size_t		 n;

	if (tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		(void)fputs("Password: ", stderr);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);
	} else
		tty = 0;
	if (fgets(pw, sizeof(pw), stdin) == NULL)
		pw[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		(void)fputs("\n", stderr);
	}
	n = strcspn(pw, "\r\n");
	if (pw[n] == '\0' && n > ARGO_MAX_PASSWORD) {
		(void)fprintf(stderr,
		    "argo-server: password longer than %d bytes\n",
		    ARGO_MAX_PASSWORD);
		return (1);
	}
	pw[n] = '\0';
	if (n == 0) {
		(void)fprintf(stderr, "argo-server: empty password\n");
		return (1);
	}
	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	h = salt != NULL ? crypt_ra(pw, salt, &data, &size) : NULL;
	explicit_bzero(pw, sizeof(pw));
	free(salt);
	if (h == NULL || h[0] == '*') {
		(void)fprintf(stderr, "argo-server: crypt: %s\n",
		    strerror(errno));
		free(data);
		return (1);
	}
	(void)printf("%s\n", h);
	free(data);
	return (flush_stdout(0));
}

int
main(int argc, char *argv[])
{
	struct config	*conf;
	struct listeners l;
	struct sandbox	 sb;
	const char	*path = ARGO_DEFAULT_CONFIG;
	char		 err[ARGO_ERR_LEN];
	long		 port = -1;
	int		 ch, fg = 0, debug = 0, test = 0, pidfd = -1, rc;

	while ((ch = getopt(argc, argv, "fdc:p:tHVh")) != -1) {
		switch (ch) {
		case 'f':
			fg = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'c':
			path = optarg;
			break;
		case 'p':
			if (util_parse_long(optarg, 0, 65535, &port) == -1) {
				(void)fprintf(stderr, "argo-server: -p: '%s' "
				    "is not a port number (0-65535)\n", optarg);
				return (1);
			}
			break;
		case 't':
			test = 1;
			break;
		case 'H':
			return (make_hash());
		case 'V':
			(void)printf("argo-server %s\n", ARGO_VERSION);
			return (flush_stdout(0));
		case 'h':
			usage(stdout);
			return (flush_stdout(0));
		default:
			usage(stderr);
			return (1);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return (1);
	}
	if (config_load(path, &conf, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "%s\n", err);
		return (1);
	}
	util_scrub_stack();
	if (test) {
		(void)printf("%s: configuration OK\n", path);
		config_free(conf);
		return (flush_stdout(0));
	}
	log_init(1, debug);
	if (access(conf->c_toolstack, X_OK) == -1)
		log_warn("toolstack %s cannot be run (instance commands will "
		    "fail)", conf->c_toolstack);
	if (sandbox_prepare(conf, &sb, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "argo-server: %s\n", err);
		return (1);
	}
	if (listener_open(conf, port >= 0 ? (int)port : conf->c_port, &l, err,
	    sizeof(err)) == -1) {
		(void)fprintf(stderr, "argo-server: %s\n", err);
		config_free(conf);
		return (1);
	}
	/* Open it here, so a bad path is reported on the terminal; the
	 * same descriptor gets the pid, no second look up of the path. */
	if (conf->c_pidfile[0] != '\0' && (pidfd = pidfile_open(
	    conf->c_pidfile, err, sizeof(err))) == -1) {
		(void)fprintf(stderr, "argo-server: %s\n", err);
		/* Not a stale socket for the next start to clear. */
		listener_close(&l);
		listener_unlink(&l);
		config_free(conf);
		return (1);
	}
	if (!fg) {
		daemon_detach();
		log_init(0, debug);
	}
	if (pidfd != -1 && pidfile_write(pidfd, conf->c_pidfile) == -1)
		fatal("cannot write pid file %s", conf->c_pidfile);
	rc = prefork_run(&conf, path, (int)port, fg, &sb, &l);
	config_free(conf);
	return (rc);
}
