#!/bin/sh
# install.sh DIR STATEDIR: make DIR/xl and DIR/xm (symlinks to the simulated
# toolstack) and DIR/fake-xen.state naming STATEDIR, which is created.
# The daemon may run DIR/xl with a scrubbed environment: fake-xen then finds
# its state through DIR/fake-xen.state (FAKE-XEN.md 1.2).
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 DIR STATEDIR" >&2
	exit 2
fi
dir=$1
state=$2

here=$(cd "$(dirname "$0")" && pwd -P)
fake=$here/fake-xen

mkdir -p "$dir" "$state"
dir=$(cd "$dir" && pwd -P)
state=$(cd "$state" && pwd -P)

for tool in xl xm; do
	rm -f "$dir/$tool"
	ln -s "$fake" "$dir/$tool"
done
printf '%s\n' "$state" > "$dir/fake-xen.state"
