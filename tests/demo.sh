#!/bin/sh
# make demo: argo-server in the foreground on 127.0.0.1:20203 against the
# sample configs in tests/demo/xen and the simulated toolstack.
# Account: demo / demo.  Stop with Ctrl-C.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
demo=$top/build/demo
port=${DEMO_PORT:-20203}
tool=${DEMO_TOOL:-xl}

rm -rf "$demo"
mkdir -p "$demo"
sh "$top/tests/fake-xen/install.sh" "$demo/bin" "$demo/state" >/dev/null
hash=$(echo demo | "$top/argo-server" -H)
cat > "$demo/argo-server.conf" <<CONF
; demo configuration written by tests/demo.sh
[server]
listen = 127.0.0.1
port = $port
workers = 2
xen_dir = $top/tests/demo/xen
toolstack = $demo/bin/$tool
toolstack_timeout = 20
pidfile = $demo/argo-server.pid

[allow]
client = 127.0.0.1

[user demo]
password = $hash
instances = *
readonly = no
CONF
chmod 600 "$demo/argo-server.conf"

cat <<TXT

argo-server demo on 127.0.0.1:$port (simulated $tool, configs in tests/demo/xen)
In another terminal:

    telnet 127.0.0.1 $port
    list available
    auth demo demo
    start web1
    list running
    status web1
    info
    mem-set web1 256
    console web1        (type, then Ctrl-] to come back; with telnet
                         start it as telnet -e ^E 127.0.0.1 $port)
    pause web1
    unpause web1
    shutdown web1
    watch               (state changes as they come, from any session;
                         Enter ends it)
    quit

or with the client:  ARGO_PASSWORD=demo ./argo -p $port -u demo 127.0.0.1 list running
and, in a third terminal, every change as it happens (Ctrl-C ends it):
                     ./argo -p $port 127.0.0.1 watch

Ctrl-C stops the server.

TXT
exec "$top/argo-server" -f -c "$demo/argo-server.conf"
