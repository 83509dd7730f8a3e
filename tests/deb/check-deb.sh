#!/bin/sh
# check-deb.sh: the Debian package, end to end, as an administrator meets it.
#
#   1. Build argo-server's .deb from a clean copy of the repository (HEAD,
#      exported with git archive into a temporary directory, so the work tree
#      is never touched; the outputs land in the copy's parent directory).
#   2. Lint it: lintian (fail on any E: or W:; with --pedantic only X:
#      experimental tags may remain), mandoc/groff on the man pages, and the
#      documentation-drift test tests/deb/check_docs.py.
#   3. Install it with dpkg -i (a policy-rc.d keeps it from starting), then
#      drive /etc/init.d/argo-server with a test configuration on 127.0.0.1,
#      a free port, the simulated toolstack and a temporary xen_dir: start,
#      status, list available, reload (good and broken), restart, PORT from
#      /etc/default, stop, start twice, stop twice.
#   4. Remove (conffiles stay), reinstall over a locally changed conffile,
#      upgrade to a rebuilt newer version (the local change survives), purge
#      (nothing left).
#
# Usage: make check-deb   (as root: it installs and purges a package; CI
# runs as root).  Tools missing on the machine are installed with apt-get.
# Environment:
#   ARGO_DEB_SOURCE=worktree  package the files of the work tree as they
#                             are (uncommitted edits and new files that git
#                             does not ignore included) instead of HEAD
#   ARGO_DEB_KEEP=1           keep the temporary directory (it is kept
#                             anyway when a test failed)
# Output: TAP-like "ok N - ..." lines, then "N passed, N failed"; exit 1 on
# any failure.  Every process started here is stopped by its pid.

set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LC_ALL=C.UTF-8
export LC_ALL
umask 022

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
INIT=/etc/init.d/argo-server
CONF=/etc/argo-server/argo-server.conf
DEFAULTS=/etc/default/argo-server
PIDFILE=/run/argo-server.pid
BIN=/usr/sbin/argo-server
WBIN=/usr/lib/argo-server/argo-worker

n=0
npass=0
nfail=0
W=
INSTALLED=0
POLICY_SAVED=
POLICY_MADE=0
SINK_PID=
STUNNEL_PIDS=
SOCKUSER=argo-debsock	# a member of group argo, mapped by unix_users
SOCKUSER_MADE=0
SOCK=/run/argo-server/argo.sock
LOGCHECK=0

ok()
{
	n=$((n + 1))
	npass=$((npass + 1))
	echo "ok $n - $*"
}

notok()
{
	n=$((n + 1))
	nfail=$((nfail + 1))
	echo "not ok $n - $*"
}

# Show a file (or stdin) as TAP comments.
diag()
{
	if [ $# -gt 0 ]; then
		sed 's/^/#   /' "$@"
	else
		sed 's/^/#   /'
	fi
}

# rc_is WANT DESC CMD...: run CMD (bounded), pass if it exits WANT.  Its
# output is kept in $W/out for the checks that follow.
rc_is()
{
	want=$1
	desc=$2
	shift 2
	timeout 120 "$@" >"$W/out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		notok "$desc (exit $got, want $want)"
		diag "$W/out"
	fi
}

# is DESC GOT WANT: string comparison.
is()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		notok "$1"
		printf 'got:\n%s\nwant:\n%s\n' "$2" "$3" | diag
	fi
}

# that DESC CMD...: pass if CMD (a test) succeeds.
that()
{
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then
		ok "$desc"
	else
		notok "$desc"
	fi
}

bail()
{
	echo "Bail out! $*"
	nfail=$((nfail + 1))
	exit 1			# the EXIT trap cleans up
}

# Run a session against 127.0.0.1:PORT; prints the replies.
session()
{
	port=$1
	shift
	timeout 30 "$PY" "$HERE/argo_client.py" "$port" "$@" 2>&1
}

port_open()
{
	"$PY" "$HERE/argo_client.py" --probe "$1"
}

port_closed()
{
	! "$PY" "$HERE/argo_client.py" --probe "$1"
}

# dpkg knows nothing of the package any more (or only "not-installed").
pkg_gone()
{
	case "$(dpkg-query -W -f='${Status}' argo-server 2>/dev/null)" in
	""|*not-installed) return 0 ;;
	esac
	return 1
}

free_port()
{
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# The master's pid, from the pid file, if it is a running argo-server.
master_pid()
{
	[ -r "$PIDFILE" ] || return 1
	read -r p <"$PIDFILE" || return 1
	case "$(readlink "/proc/$p/exe" 2>/dev/null)" in
	"$BIN"|"$BIN (deleted)") echo "$p" ;;
	*) return 1 ;;
	esac
}

# Pids of every live (not zombie) process running the installed binary.
argo_pids()
{
	for d in /proc/[0-9]*; do
		case "$(readlink "$d/exe" 2>/dev/null)" in
		"$BIN"|"$BIN (deleted)"|"$WBIN"|"$WBIN (deleted)")
			st=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' \
			    "$d/status" 2>/dev/null)
			[ "$st" = Z ] || echo "${d#/proc/}"
			;;
		esac
	done
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s.
wait_for()
{
	limit=$(($1 * 10))
	shift
	i=0
	while [ "$i" -lt "$limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

no_argo_left()
{
	[ -z "$(argo_pids)" ]
}

log_has()
{
	grep -F -q -- "$1" "$W/syslog"
}

# check_log DESC TEXT: with our syslog stand-in, wait for TEXT in the log.
check_log()
{
	[ "$LOGCHECK" = 1 ] || return 0
	if wait_for 5 log_has "$2"; then
		ok "$1"
	else
		notok "$1"
		echo "# no log line with: $2"
		tail -n 15 "$W/syslog" | diag
	fi
}

cleanup()
{
	rc=$?
	trap - EXIT INT TERM
	if p=$(master_pid); then
		echo "# cleanup: stopping argo-server $p"
		kill -TERM "$p" 2>/dev/null
		i=0
		while [ "$i" -lt 150 ] && kill -0 "$p" 2>/dev/null &&
		    [ -e "/proc/$p/exe" ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$p" 2>/dev/null
	fi
	if [ "$INSTALLED" = 1 ] &&
	    dpkg-query -W -f='${Status}' argo-server 2>/dev/null |
	    grep -q -v 'not-installed'; then
		echo "# cleanup: purging argo-server"
		dpkg --purge argo-server >/dev/null 2>&1
	fi
	if [ -n "$POLICY_SAVED" ]; then
		mv -f "$POLICY_SAVED" /usr/sbin/policy-rc.d
	elif [ "$POLICY_MADE" = 1 ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
	if [ "$SOCKUSER_MADE" = 1 ]; then
		userdel "$SOCKUSER" 2>/dev/null
	fi
	for p in $STUNNEL_PIDS; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	if [ -n "$SINK_PID" ]; then
		kill -TERM "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
	fi
	if [ -n "$W" ]; then
		if [ "$nfail" -gt 0 ] || [ "${ARGO_DEB_KEEP:-0}" = 1 ]; then
			echo "# kept $W"
		else
			rm -rf "$W"
		fi
	fi
	echo "$npass passed, $nfail failed"
	[ "$nfail" -gt 0 ] && exit 1
	exit "$rc"
}

# ------------------------------------------------------------ preconditions

[ "$(id -u)" = 0 ] ||
	{ echo "check-deb: run as root: it installs and purges a package" >&2
	  exit 1; }
case "$(dpkg-query -W -f='${Status}' argo-server 2>/dev/null)" in
*not-installed*|"") ;;
*)	echo "check-deb: argo-server is installed on this machine; this test" \
	    "installs and purges it, so remove it first:" \
	    "dpkg --purge argo-server" >&2
	exit 1 ;;
esac
if [ -e "$PIDFILE" ]; then
	echo "check-deb: $PIDFILE exists: is an argo-server running?" >&2
	exit 1
fi

trap cleanup EXIT
trap 'exit 1' INT TERM

# The postinst would start the daemon with the stock configuration (and a
# tool installed below might start its own service); a policy-rc.d that
# denies everything, as on Docker images, prevents it.  Restored at exit.
if [ -e /usr/sbin/policy-rc.d ]; then
	/usr/sbin/policy-rc.d argo-server start >/dev/null 2>&1
	if [ $? != 101 ]; then
		POLICY_SAVED=$(mktemp /tmp/policy-rc.d.saved.XXXXXX)
		cp -p /usr/sbin/policy-rc.d "$POLICY_SAVED"
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	fi
else
	POLICY_MADE=1
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
fi

# Tools: the build (debhelper, the Build-Depends), the checks, the client.
NEED="build-essential debhelper dpkg-dev git lintian mandoc \
groff-base man-db libinih-dev libcrypt-dev libcmocka-dev pkgconf python3 \
openssl stunnel4"
missing=
for p in $NEED; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "# installing:$missing"
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends $missing >/dev/null 2>&1; then
		apt-get update -q >/dev/null 2>&1
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		    --no-install-recommends $missing >/dev/null ||
		    bail "apt-get install$missing failed"
	fi
fi

W=$(mktemp -d /tmp/argo-deb.XXXXXX) || bail "mktemp failed"
chmod 755 "$W"
echo "# work directory $W"

# ------------------------------------------------------------ build

# git archive writes modes for umask 002 and tar as root keeps them; the
# copy gets umask 022 modes instead, as a checkout would (the daemon refuses
# a group-writable toolstack, and the simulated one is run from the copy).
GIT="git -c safe.directory=$REPO -C $REPO"
before=$($GIT status --porcelain 2>&1)
SRC=$W/argo-server
mkdir "$SRC"
case "${ARGO_DEB_SOURCE:-head}" in
worktree)
	echo "# source: the work tree $REPO (tracked and untracked, not ignored)"
	$GIT ls-files -z --cached --others --exclude-standard |
	    (cd "$REPO" && tar --null -T - \
	    --ignore-failed-read -cf - 2>/dev/null) |
	    tar -x --no-same-permissions -C "$SRC" ;;
*)
	echo "# source: $($GIT log -1 --format='%h %s' HEAD)"
	dirty=$($GIT status --porcelain -- debian etc man tests/deb Makefile)
	[ -n "$dirty" ] && printf '%s\n' \
	    "uncommitted changes are NOT in this build" "$dirty" | diag
	$GIT archive --format=tar HEAD |
	    tar -x --no-same-permissions -C "$SRC" ;;
esac
[ -f "$SRC/debian/control" ] || bail "no debian/control in the source copy"

VERSION=$(cd "$SRC" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
DEB=$W/argo-server_${VERSION}_${ARCH}.deb
CHANGES=$W/argo-server_${VERSION}_${ARCH}.changes

rc_is 0 "Build-Depends satisfied (dpkg-checkbuilddeps)" \
	sh -c "cd '$SRC' && dpkg-checkbuilddeps"
t0=$(date +%s)
(cd "$SRC" && timeout 900 dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
brc=$?
t1=$(date +%s)
if [ "$brc" = 0 ] && [ -f "$DEB" ]; then
	ok "dpkg-buildpackage -us -uc -b builds $(basename "$DEB") ($((t1 - t0)) s)"
else
	notok "dpkg-buildpackage -us -uc -b (exit $brc)"
	tail -n 40 "$W/build.log" | diag
	bail "no package"
fi
is "building left the work tree as it was" \
	"$($GIT status --porcelain 2>&1)" "$before"
that "the build ran the unit tests, not make check" \
	grep -q -e "make.* unit" "$W/build.log"
that "compiled with the hardening flags (fortify, stack protector)" \
	sh -c "grep -- '-D_FORTIFY_SOURCE=2' '$W/build.log' |
	    grep -q -- '-fstack-protector-strong'"
that "linked with -z relro -z now" \
	grep -q -- '-Wl,-z,relro -Wl,-z,now' "$W/build.log"

# ------------------------------------------------------------ package contents

dpkg-deb -c "$DEB" >"$W/contents"
for f in ./usr/sbin/argo-server ./usr/lib/argo-server/argo-worker \
    ./etc/argo-server/argo-server.conf \
    ./etc/default/argo-server ./etc/init.d/argo-server \
    ./lib/systemd/system/argo-server.service \
    ./usr/share/man/man8/argo-server.8.gz \
    ./usr/share/man/man5/argo-server.conf.5.gz \
    ./usr/share/doc/argo-server/changelog.gz \
    ./usr/share/doc/argo-server/copyright \
    ./usr/share/doc/argo-server/examples/stunnel/argo-server.conf; do
	that "package contains ${f#.}" \
		grep -q -E "[[:space:]]$f( |\$)" "$W/contents"
done
that "package contains /usr/share/doc/argo-server/README (or README.gz)" \
	grep -q -E '[[:space:]]\./usr/share/doc/argo-server/README(\.gz)?$' \
	"$W/contents"
that "argo-server.conf is -rw-r----- root/root in the package" \
	grep -q -E '^-rw-r----- root/root .* \./etc/argo-server/argo-server\.conf$' \
	"$W/contents"
that "the init script is executable" \
	grep -q -E '^-rwxr-xr-x root/root .* \./etc/init\.d/argo-server$' \
	"$W/contents"
dpkg-deb -f "$DEB" Depends Pre-Depends >"$W/fields"
that "Depends has libinih1 and libcrypt1 (from shlibs)" \
	sh -c "grep -q libinih1 '$W/fields' && grep -q libcrypt1 '$W/fields'"
that "Pre-Depends has init-system-helpers (from misc:Pre-Depends)" \
	grep -q init-system-helpers "$W/fields"
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles >"$W/conffiles" 2>&1
is "conffiles" "$(sort "$W/conffiles")" "$(printf '%s\n' \
	/etc/argo-server/argo-server.conf /etc/default/argo-server \
	/etc/init.d/argo-server)"
mkdir "$W/x"
dpkg-deb -x "$DEB" "$W/x"
that "the binary is PIE" sh -c \
	"readelf -h '$W/x/usr/sbin/argo-server' | grep -q 'Type:.*DYN'"
that "the binary has BIND_NOW (full RELRO)" sh -c \
	"readelf -d '$W/x/usr/sbin/argo-server' | grep -q -E 'BIND_NOW|FLAGS.*NOW'"
that "argo-worker is PIE with BIND_NOW" sh -c \
	"readelf -h '$W/x$WBIN' | grep -q 'Type:.*DYN' &&
	 readelf -d '$W/x$WBIN' | grep -q -E 'BIND_NOW|FLAGS.*NOW'"
that "the packaged argo-worker needs libc alone, holds no privileged code" \
	sh "$REPO/tests/worker_image.sh" "$W/x$WBIN" "$W/x$BIN"

# ------------------------------------------------------------ lint

lintian --fail-on error,warning "$CHANGES" >"$W/lintian" 2>&1
lrc=$?
grep -v 'running with root privileges' "$W/lintian" >"$W/lintian.out"
if [ "$lrc" = 0 ] && ! grep -q -E '^[EW]: ' "$W/lintian.out"; then
	ok "lintian: no errors, no warnings"
else
	notok "lintian: no errors, no warnings (exit $lrc)"
fi
echo "# lintian $(basename "$CHANGES"):"
diag "$W/lintian.out"
lintian --pedantic -I -E --show-overrides "$CHANGES" 2>&1 |
	grep -v 'running with root privileges' >"$W/lintian.pedantic"
echo "# lintian --pedantic -I -E --show-overrides:"
diag "$W/lintian.pedantic"
if grep -q -E '^[EWIP]: ' "$W/lintian.pedantic"; then
	notok "lintian --pedantic: only experimental (X:) and overridden (O:) tags"
else
	ok "lintian --pedantic: only experimental (X:) and overridden (O:) tags"
fi

for m in "$SRC/man/argo-server.8" "$SRC/man/argo-server.conf.5" \
    "$SRC/man/argo.1"; do
	rc_is 0 "mandoc -Tlint -Wwarning $(basename "$m")" \
		mandoc -Tlint -Wwarning "$m"
	is "groff -ww prints nothing for $(basename "$m")" \
		"$(groff -mandoc -ww -z "$m" 2>&1)" ""
	is "man -l renders $(basename "$m") without warnings" \
		"$(MANWIDTH=80 MANROFFSEQ='' man --warnings -E UTF-8 -l -Tutf8 \
		    -Z "$m" 2>&1 >/dev/null)" ""
	rc_is 0 "lexgrog parses the NAME line of $(basename "$m")" \
		lexgrog "$m"
done
that "sh -n parses the init script" \
	sh -n "$SRC/etc/init.d/argo-server"

# ------------------------------------------------------------ install

INSTALLED=1
rc_is 0 "dpkg -i $(basename "$DEB")" dpkg -i "$DEB"
diag "$W/out"
is "package state" "$(dpkg-query -W -f='${Status} ${Version}' argo-server)" \
	"install ok installed $VERSION"
is "$CONF is mode 640 root:root" "$(stat -c '%a %U:%G' "$CONF")" \
	"640 root:root"
that "$INIT is executable" test -x "$INIT"
that "update-rc.d linked it into runlevel 2" \
	sh -c 'ls /etc/rc2.d/ | grep -q "^S[0-9][0-9]argo-server$"'
that "the install did not start the daemon" no_argo_left
if command -v systemd-analyze >/dev/null 2>&1; then
	rc_is 0 "systemd-analyze verify argo-server.service" \
		systemd-analyze verify /lib/systemd/system/argo-server.service
fi
if [ -f /usr/share/man/man5/argo-server.conf.5.gz ]; then
	that "man argo-server.conf shows the installed page" sh -c \
	    "MANWIDTH=80 man argo-server.conf 2>/dev/null | grep -q anonymous_read"
else
	echo "# man pages not installed here (dpkg path-exclude?): not read"
fi
rc_is 0 "argo-server -V" "$BIN" -V
is "argo-server -V prints the version" "$(cat "$W/out")" \
	"argo-server $VERSION"
that "the package ships the client /usr/bin/argo" test -x /usr/bin/argo
is "argo -V prints the version" "$(/usr/bin/argo -V 2>&1)" "argo $VERSION"
that "the package ships argo(1)" test -f /usr/share/man/man1/argo.1.gz
rc_is 0 "argo-server -t accepts the shipped $CONF" "$BIN" -t
is "argo-server -t prints FILE: configuration OK" "$(cat "$W/out")" \
	"$CONF: configuration OK"
timeout 60 "$PY" "$SRC/tests/deb/check_docs.py" "$SRC" --binary "$BIN" \
	>"$W/docs" 2>&1
if [ $? = 0 ]; then
	ok "docs: every key in argo-server.conf.5, every command in argo-server.8, keys accepted by -t ($(tail -n 1 "$W/docs"))"
else
	notok "docs: check_docs.py"
	grep -v '^ok' "$W/docs" | diag
fi

# ------------------------------------------------------------ test setup

R=$W/run
mkdir -p "$R/xen" "$R/state"
rc_is 0 "simulated toolstack installed (tests/fake-xen/install.sh)" \
	sh "$SRC/tests/fake-xen/install.sh" "$R/bin" "$R/state"
[ -x "$R/bin/xl" ] || bail "no $R/bin/xl"
printf 'name = "alpha"\nmemory = 256\nvcpus = 1\n' >"$R/xen/alpha.cfg"
printf '# beta\nname = "beta"\nmemory = 512\nvcpus = 2\n' >"$R/xen/beta.cfg"
printf 'name = "gamma"\nmemory = 128\n' >"$R/xen/web.cfg"
printf 'not an instance\n' >"$R/xen/README"

PORT1=$(free_port)
PORT2=$(free_port)
while [ "$PORT2" = "$PORT1" ]; do PORT2=$(free_port); done
TC=$R/test.conf

# write_conf ANONYMOUS_READ [EXTRA LINES]: the test configuration.
write_conf()
{
	{
		printf '[server]\nport = %s\nlisten = 127.0.0.1\n' "$PORT1"
		printf 'workers = 2\nmax_clients = 8\nxen_dir = %s\n' "$R/xen"
		printf 'toolstack = %s\ntoolstack_timeout = 20\n' "$R/bin/xl"
		printf 'pidfile = %s\nanonymous_read = %s\n' "$PIDFILE" "$1"
		# The packaged socket (DESIGN.md 8), as the shipped file has it.
		printf 'socket = %s\nsocket_mode = 0660\n' "$SOCK"
		printf 'socket_group = argo\n'
		printf '\n[allow]\nclient = 127.0.0.1\n'
		printf '\n[user debsock]\nunix_users = %s\n' "$SOCKUSER"
		printf 'instances = alpha beta gamma\n'
		[ $# -gt 1 ] && printf '%s\n' "$2"
	} >"$TC.new"
	chmod 640 "$TC.new"
	mv -f "$TC.new" "$TC"
}
that "postinst created the system group argo" sh -c \
	'getent group argo | grep -q "^argo:x:[0-9]*:"'
if ! getent passwd "$SOCKUSER" >/dev/null; then
	useradd -M -d /nonexistent -s /usr/sbin/nologin -G argo "$SOCKUSER" &&
	    SOCKUSER_MADE=1
fi
write_conf yes
printf 'PORT=\nDAEMON_OPTS="-c %s"\n' "$TC" >"$DEFAULTS"

# No syslog daemon here (no /dev/log): a detached daemon's log would vanish.
# A stand-in on /dev/log lets the test read it.
if [ ! -e /dev/log ]; then
	: >"$W/syslog"
	"$PY" "$HERE/logsink.py" /dev/log "$W/syslog" &
	SINK_PID=$!
	if wait_for 5 test -S /dev/log; then
		LOGCHECK=1
		echo "# log: /dev/log stand-in (pid $SINK_PID) writing $W/syslog"
	fi
else
	echo "# log: /dev/log exists (a syslog daemon runs): log lines not checked"
fi

EXPECT_LIST=$(printf '200 OK\nalpha\nbeta\ngamma\n300 DONE')

# ------------------------------------------------------------ init script

rc_is 3 "status before start: 3 (not running)" "$INIT" status
rc_is 0 "start" "$INIT" start
diag "$W/out"
PID=$(master_pid)
that "start wrote $PIDFILE with the master's pid" test -n "$PID"
rc_is 0 "status: 0 (running)" "$INIT" status
that "status says running" grep -q "is running" "$W/out"
check_log "log: ready line with the test address" \
	"ready listen=127.0.0.1:$PORT1"
out=$(session "$PORT1" "list available")
is "list available over TCP" "$(printf '%s\n' "$out" | head -n 5)" \
	"$EXPECT_LIST"
out=$(session "$PORT1" version)
is "version over TCP" "$(printf '%s\n' "$out" | sed -n 2p)" \
	"argo-server $VERSION"
check_log "log: session end" "session end peer=127.0.0.1"

# The local socket: the shipped file enables it, the init script makes
# /run/argo-server, and an admin in group argo mapped by unix_users types
# `argo -l list running` on dom0 with no password.
that "the shipped configuration enables $SOCK" \
	grep -q "^socket = $SOCK\$" "$CONF"
that "the shipped configuration: mode 0660, group argo" sh -c \
	"grep -q '^socket_mode = 0660\$' '$CONF' &&
	 grep -q '^socket_group = argo\$' '$CONF'"
is "the init script made /run/argo-server 0755" \
	"$(stat -c '%a %U' /run/argo-server 2>&1)" "755 root"
is "the socket: mode 0660, owner root, group argo" \
	"$(stat -c '%F %a %U %G' "$SOCK" 2>&1)" "socket 660 root argo"
rc_is 0 "argo -l list running as a member of argo mapped by unix_users" \
	runuser -u "$SOCKUSER" -- /usr/bin/argo -l list running
is "argo -l whoami names the account, no password asked" \
	"$(runuser -u "$SOCKUSER" -- /usr/bin/argo -l whoami 2>&1)" "debsock"
is "argo -l list available: the account's instances" \
	"$(runuser -u "$SOCKUSER" -- /usr/bin/argo -l list available 2>&1 |
	    tr '\n' ' ')" "alpha beta gamma "
rc_is 2 "a user outside group argo cannot connect (exit 2)" \
	runuser -u nobody -- /usr/bin/argo -l whoami
that "... with Permission denied" grep -q "Permission denied" "$W/out"
check_log "log: the socket session names unix:UID and the account" \
	"session start peer=unix:$(id -u "$SOCKUSER") user=debsock"

# Privilege separation: the account and the chroot from the postinst, the
# workers running as that account, the broker as root.
that "postinst created the system account argo-server" sh -c \
	'getent passwd argo-server | grep -q ":/nonexistent:/usr/sbin/nologin$"'
that "postinst made the workers' chroot" test -d /var/lib/argo-server/empty
uid_of()
{
	sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"
}
AUID=$(id -u argo-server 2>/dev/null)
nw=0
nbad=0
for p in $(argo_pids); do
	case "$(cat "/proc/$p/comm" 2>/dev/null)" in
	argo-worker)
		nw=$((nw + 1))
		[ "$(uid_of "$p")" = "$AUID" ] || nbad=$((nbad + 1))
		[ "$(readlink "/proc/$p/exe")" = "$WBIN" ] ||
		    nbad=$((nbad + 1))
		[ "$(readlink "/proc/$p/root")" = /var/lib/argo-server/empty ] ||
		    nbad=$((nbad + 1))
		;;
	argo-broker)
		[ "$(uid_of "$p")" = 0 ] || nbad=$((nbad + 1))
		;;
	esac
done
that "workers are $WBIN, run as argo-server in the chroot; the broker root" \
	test "$nw" -ge 2 -a "$nbad" = 0
if [ "$LOGCHECK" = 1 ]; then
	# A detached worker's lines reach syslog through the master, under
	# the worker's own pid and the name argo-worker.
	wpids=$(for p in $(argo_pids); do
		[ "$(cat "/proc/$p/comm")" = argo-worker ] && echo "$p"; done)
	found=
	for p in $wpids; do
		grep -q "argo-worker\[$p\]: session start peer=127.0.0.1" \
		    "$W/syslog" && found=1
	done
	that "log: a worker's session line, relayed, under the worker's pid" \
		test -n "$found"
fi

HASH=$(printf 'check-deb-secret\n' | "$BIN" -H 2>/dev/null)
case "$HASH" in
'$y$'*) ok "argo-server -H prints a yescrypt hash" ;;
*)	notok "argo-server -H prints a yescrypt hash (got '$HASH')" ;;
esac

# reload after a change: anonymous sessions lose read access, an account
# appears; visible to the next session, same master.
write_conf no "$(printf '\n[user tester]\npassword = %s\ninstances = *\nreadonly = no' "$HASH")"
rc_is 0 "reload after a config change" "$INIT" reload
diag "$W/out"
is "reload kept the master" "$(master_pid)" "$PID"
check_log "log: reload: FILE loaded" "reload: $TC loaded"
out=$(session "$PORT1" "list available")
is "after reload: anonymous list refused" \
	"$(printf '%s\n' "$out" | head -n 1)" "400 NOT AUTHENTICATED"
out=$(session "$PORT1" "auth tester check-deb-secret" "list available" \
	"start alpha" "list running")
is "after reload: the new account logs in" \
	"$(printf '%s\n' "$out" | head -n 2)" "$(printf '200 OK\n300 DONE')"
is "after reload: the account lists the instances" \
	"$(printf '%s\n' "$out" | sed -n 3,7p)" "$EXPECT_LIST"
printf '%s\n' "$out" >"$W/sess"
that "the detached daemon ran the toolstack: alpha runs" \
	grep -q '^alpha id=[0-9]' "$W/sess"
check_log "log: control line for start alpha" \
	"control peer=127.0.0.1 user=tester verb=create instance=alpha rc=0"

# reload with a broken file: the init script refuses, visibly; the daemon
# keeps serving the previous configuration.
cp "$TC" "$R/good.conf"
sed '1a\
no_such_key = 1' "$R/good.conf" >"$TC.new"
chmod 640 "$TC.new"
mv -f "$TC.new" "$TC"
rc_is 6 "reload with a broken config: refused (exit 6)" "$INIT" reload
that "reload printed the daemon's FILE:LINE message" \
	grep -q -F "$TC:2:" "$W/out"
diag "$W/out"
is "the master is still the same" "$(master_pid)" "$PID"
rc_is 0 "status after the refused reload: 0" "$INIT" status
out=$(session "$PORT1" "list available")
is "still the previous config (anonymous refused)" \
	"$(printf '%s\n' "$out" | head -n 1)" "400 NOT AUTHENTICATED"
# The daemon's own check, without the init script's -t: SIGHUP directly.
kill -HUP "$PID"
check_log "log: SIGHUP with a broken file: reload failed: FILE:LINE" \
	"reload failed: $TC:2:"
sleep 0.5
is "the daemon survived the bad SIGHUP" "$(master_pid)" "$PID"
out=$(session "$PORT1" "auth tester check-deb-secret" "list available")
is "after the bad SIGHUP: old config still served" \
	"$(printf '%s\n' "$out" | sed -n 3,7p)" "$EXPECT_LIST"

write_conf yes
rc_is 0 "force-reload with a good file again" "$INIT" force-reload
out=$(session "$PORT1" "list available")
is "after force-reload: anonymous list works again" \
	"$(printf '%s\n' "$out" | head -n 5)" "$EXPECT_LIST"

rc_is 0 "restart" "$INIT" restart
NEWPID=$(master_pid)
that "restart started a new master" test -n "$NEWPID" -a "$NEWPID" != "$PID"
that "old master gone" sh -c "! test -e /proc/$PID/exe"
out=$(session "$PORT1" "list available")
is "after restart: list available" "$(printf '%s\n' "$out" | head -n 5)" \
	"$EXPECT_LIST"

# The shipped stunnel example, as its comments say to use it: TLS on one
# port in front of the daemon, and its client section in front of a plain
# client.  Only the addresses, the certificate path and the pid file are
# changed, for a test on loopback.
EX=/usr/share/doc/argo-server/examples/stunnel/argo-server.conf
ST=$W/stunnel
mkdir "$ST"
TLSPORT=$(free_port)
LOCALPORT=$(free_port)
openssl req -new -x509 -nodes -days 2 -subj /CN=localhost \
	-newkey rsa:2048 -keyout "$ST/argo-server.pem" \
	-out "$ST/argo-server.pem" >"$ST/openssl.log" 2>&1
chmod 600 "$ST/argo-server.pem"
sed -e "s#^accept = :::20204\$#accept = 127.0.0.1:$TLSPORT#" \
    -e "s#^connect = 127.0.0.1:20203\$#connect = 127.0.0.1:$PORT1#" \
    -e "s#^cert = /etc/stunnel/argo-server.pem\$#cert = $ST/argo-server.pem#" \
    -e 's#^pid = .*#pid =#' -e 's#^;foreground = yes#foreground = yes#' \
    "$EX" >"$ST/server.conf"
{
	printf 'foreground = yes\npid =\n'
	sed -n 's/^;//; /^\[argo-client\]/,$p' "$EX" |
	    sed -e "s#^accept = 127.0.0.1:20203\$#accept = 127.0.0.1:$LOCALPORT#" \
		-e "s#^connect = dom0.example.org:20204\$#connect = 127.0.0.1:$TLSPORT#" \
		-e "s#^CAfile = /etc/stunnel/argo-server.pem\$#CAfile = $ST/argo-server.pem#" \
		-e 's#^checkHost = dom0.example.org$#checkHost = localhost#'
} >"$ST/client.conf"
stunnel4 "$ST/server.conf" >"$ST/server.log" 2>&1 &
STUNNEL_PIDS=$!
stunnel4 "$ST/client.conf" >"$ST/client.log" 2>&1 &
STUNNEL_PIDS="$STUNNEL_PIDS $!"
if wait_for 10 port_open "$TLSPORT" && wait_for 10 port_open "$LOCALPORT"; then
	out=$(printf 'list available\nquit\n' | timeout 20 openssl s_client \
	    -quiet -verify_return_error -CAfile "$ST/argo-server.pem" \
	    -connect "127.0.0.1:$TLSPORT" 2>/dev/null)
	is "stunnel example: list available over TLS (openssl s_client)" \
		"$(printf '%s\n' "$out" | head -n 5)" "$EXPECT_LIST"
	out=$(session "$LOCALPORT" "list available")
	is "stunnel example: its client section tunnels a plain client" \
		"$(printf '%s\n' "$out" | head -n 5)" "$EXPECT_LIST"
else
	notok "stunnel example: the tunnels listen"
	cat "$ST/server.log" "$ST/client.log" | diag
fi
for p in $STUNNEL_PIDS; do
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
done
STUNNEL_PIDS=

# PORT in /etc/default is passed as -p and wins over the file's port.
printf 'PORT=%s\nDAEMON_OPTS="-c %s"\n' "$PORT2" "$TC" >"$DEFAULTS"
rc_is 0 "restart with PORT=$PORT2 in $DEFAULTS" "$INIT" restart
that "listening on PORT from $DEFAULTS" port_open "$PORT2"
that "not on the file's port any more" port_closed "$PORT1"
printf 'PORT=\nDAEMON_OPTS="-c %s"\n' "$TC" >"$DEFAULTS"
rc_is 0 "restart with PORT empty again" "$INIT" restart
that "back on the file's port" port_open "$PORT1"

PID=$(master_pid)
rc_is 0 "stop" "$INIT" stop
diag "$W/out"
rc_is 3 "status after stop: 3" "$INIT" status
that "pid file removed" test ! -e "$PIDFILE"
that "socket removed" test ! -e "$SOCK"
that "port $PORT1 free" wait_for 5 port_closed "$PORT1"
that "master and workers gone" wait_for 5 no_argo_left
check_log "log: stopped" "argo-server[$PID]: stopped"

rc_is 0 "start (1st)" "$INIT" start
PID=$(master_pid)
rc_is 0 "start again while running: 0" "$INIT" start
diag "$W/out"
is "still the same master" "$(master_pid)" "$PID"
extra=
for p in $(argo_pids); do
	[ "$p" = "$PID" ] && continue
	pp=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null)
	[ -n "$pp" ] && [ "$pp" != "$PID" ] && extra="$extra $p"
done
is "no second master: every other argo-server is a worker of $PID" \
	"$extra" ""
rc_is 0 "stop (1st)" "$INIT" stop
rc_is 0 "stop again while stopped: 0" "$INIT" stop
rc_is 3 "status: 3" "$INIT" status
that "nothing left running" wait_for 5 no_argo_left
rc_is 7 "reload while stopped: 7 (not running)" "$INIT" reload
rc_is 0 "try-restart while stopped: 0" "$INIT" try-restart
that "try-restart did not start it" no_argo_left

sed '1a\
no_such_key = 1' "$R/good.conf" >"$TC.new"
chmod 640 "$TC.new"
mv -f "$TC.new" "$TC"
rc_is 6 "start with a broken config: refused (exit 6)" "$INIT" start
that "start printed the daemon's FILE:LINE message" \
	grep -q -F "$TC:2:" "$W/out"
diag "$W/out"
rc_is 3 "status after the refused start: 3" "$INIT" status
write_conf yes
rc_is 0 "restart while stopped starts it" "$INIT" restart
rc_is 0 "status: 0" "$INIT" status
rc_is 0 "stop" "$INIT" stop
that "nothing left running" wait_for 5 no_argo_left
rc_is 3 "unknown action: usage, exit 3" "$INIT" frobnicate

# ------------------------------------------------------------ conffiles

cp "$SRC/etc/default/argo-server" "$DEFAULTS"
rc_is 0 "dpkg -r argo-server" dpkg -r argo-server
is "removed: config-files remain" \
	"$(dpkg-query -W -f='${Status}' argo-server)" \
	"deinstall ok config-files"
that "removed: the binary is gone" test ! -e "$BIN"
that "removed: $CONF stays" test -f "$CONF"
that "removed: $DEFAULTS stays" test -f "$DEFAULTS"
rc_is 0 "removed: the init script does nothing and exits 0" sh "$INIT" start
that "removed: nothing started" no_argo_left

echo "# local change" >>"$CONF"
rc_is 0 "reinstall over a locally changed conffile (--force-confold)" \
	dpkg -i --force-confdef --force-confold "$DEB"
that "reinstall kept the local change" grep -q -x "# local change" "$CONF"
is "$CONF still mode 640" "$(stat -c %a "$CONF")" 640

# An upgrade whose package changes both conffiles: the locally changed one
# stays (the new one is put beside it as .dpkg-dist), the untouched one is
# replaced.
U=$W/upgrade
dpkg-deb -R "$DEB" "$U"
NEWVER=${VERSION}+checkdeb1
sed -i "s/^Version: .*/Version: $NEWVER/" "$U/DEBIAN/control"
echo "# changed in $NEWVER" >>"$U/etc/argo-server/argo-server.conf"
echo "# changed in $NEWVER" >>"$U/etc/default/argo-server"
DEB2=$W/argo-server_${NEWVER}_${ARCH}.deb
rc_is 0 "build the upgrade package $NEWVER" \
	dpkg-deb --root-owner-group -b "$U" "$DEB2"
rc_is 0 "upgrade to $NEWVER (--force-confdef --force-confold)" \
	dpkg -i --force-confdef --force-confold "$DEB2"
is "upgraded" "$(dpkg-query -W -f='${Version}' argo-server)" "$NEWVER"
that "upgrade kept the local change" grep -q -x "# local change" "$CONF"
that "upgrade left the new version as $CONF.dpkg-dist" \
	grep -q -x "# changed in $NEWVER" "$CONF.dpkg-dist"
that "upgrade replaced the unchanged $DEFAULTS" \
	grep -q -x "# changed in $NEWVER" "$DEFAULTS"
is "$CONF still mode 640" "$(stat -c %a "$CONF")" 640

rc_is 0 "dpkg --purge argo-server" dpkg --purge argo-server
that "purged" pkg_gone
that "purge: /etc/argo-server is gone" test ! -e /etc/argo-server
that "purge: /var/lib/argo-server is gone" test ! -e /var/lib/argo-server
that "purge: $DEFAULTS is gone" test ! -e "$DEFAULTS"
that "purge: $INIT is gone" test ! -e "$INIT"
that "purge: no rc?.d links" sh -c '! ls /etc/rc?.d/ | grep -q argo-server'
that "purge: no pid file" test ! -e "$PIDFILE"
that "purge: no systemd enablement left" sh -c \
	'! ls /etc/systemd/system/*.wants/ /var/lib/systemd/deb-systemd-helper-enabled/ 2>/dev/null | grep -q argo-server' 
that "purge: no argo-server process" no_argo_left
INSTALLED=0

exit 0
