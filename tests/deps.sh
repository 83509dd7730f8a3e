#!/bin/sh
# Install what building and testing argo-server needs, if it is missing.
# Idempotent: on a machine that has everything it only looks.
# Usage: tests/deps.sh [extra-package ...]
set -eu

pkgs="build-essential pkgconf libinih-dev libcrypt-dev libcmocka-dev clang
      libclang-rt-14-dev valgrind python3 python3-pytest expect telnet
      netcat-openbsd socat cppcheck clang-tidy gdb openssh-server
      openssh-client $*"

missing=
for p in $pkgs; do
	case "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" in
	installed) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages:$missing" >&2
	echo "run as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
