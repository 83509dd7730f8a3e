#!/bin/sh
# The worker image holds no privileged code (DESIGN.md 5.2), checked on the
# built binary so that no later change can quietly undo it: it needs libc
# alone (ELF NEEDED), and it imports nothing that execs, forks, changes an
# id, checks a password, reads the account database or parses the
# configuration file.
#
#   tests/worker_image.sh WORKER [SERVER]
#
# With SERVER (argo-server, which must hold all of that), the check is
# first run on it and must fail there: a check that cannot fail proves
# nothing.
set -u

# Imports no worker may have, as shell patterns on the bare symbol name.
FORBIDDEN='exec* fexecve posix_spawn* fork vfork _Fork clone clone3 system
popen crypt* ini_parse* ini_* getpwnam* getpwuid* getpwent* getgrnam*
getgrgid* getspnam* setuid setresuid setreuid seteuid setgid setresgid
setregid setegid setgroups initgroups setfsuid setfsgid'

# Prints one line per finding; exit 1 when there is any.
check() {
	bin=$1
	bad=0
	if ! needed=$(readelf -d "$bin" 2>/dev/null | \
	    sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); then
		echo "$bin: not an ELF file"
		return 1
	fi
	for lib in $needed; do
		case $lib in
		libc.so.*) ;;
		*) echo "$bin: needs $lib (libc alone is allowed)"; bad=1 ;;
		esac
	done
	syms=$(nm -D --undefined-only "$bin" | awk '{ print $NF }' | \
	    sed 's/@.*//')
	for s in $syms; do
		for f in $FORBIDDEN; do
			# shellcheck disable=SC2254
			case $s in
			$f) echo "$bin: imports $s"; bad=1 ;;
			esac
		done
	done
	return $bad
}

worker=$1
if [ $# -ge 2 ]; then
	if check "$2" >/dev/null; then
		echo "FAIL: the check finds nothing in $2, which execs, forks" \
		    "and checks passwords: it cannot tell"
		exit 1
	fi
fi
if ! check "$worker"; then
	echo "FAIL: $worker holds what only argo-server may (DESIGN.md 5.2)"
	exit 1
fi
echo "ok: $worker needs libc alone and imports no exec, fork, id change," \
    "password check or configuration parser"
