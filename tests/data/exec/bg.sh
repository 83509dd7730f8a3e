#!/bin/sh
# Test helper for test_exec: leave a background process behind that holds
# the descriptor named by $1 (stdout, stderr or stdin) for 30 s, print its
# pid, exit with status 3.  "flood" leaves one that writes to stdout without
# end; its pid goes to stderr.
case "$1" in
flood)	yes </dev/null 2>/dev/null &
	echo $! >&2
	exit 3 ;;
stdout)	sleep 30 </dev/null 2>/dev/null & ;;
stderr)	sleep 30 </dev/null >/dev/null & ;;
stdin)	sleep 30 <&0 >/dev/null 2>/dev/null & ;;
*)	exit 2 ;;
esac
echo $!
exit 3
