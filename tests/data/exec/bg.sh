#!/bin/sh
# Test helper for test_exec: leave a background process behind that holds
# the descriptor named by $1 (stdout, stderr or stdin) for 30 s, print its
# pid, exit with status 3.
case "$1" in
stdout)	sleep 30 </dev/null 2>/dev/null & ;;
stderr)	sleep 30 </dev/null >/dev/null & ;;
stdin)	sleep 30 <&0 >/dev/null 2>/dev/null & ;;
*)	exit 2 ;;
esac
echo $!
exit 3
