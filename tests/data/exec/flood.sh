#!/bin/sh
# Test helper for test_exec: 1 MiB on stdout and 1 MiB on stderr at once.
head -c 1048576 /dev/zero | tr '\0' e >&2 &
head -c 1048576 /dev/zero | tr '\0' o
wait
exit 0
