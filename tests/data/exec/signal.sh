#!/bin/sh
# Test helper for test_exec: die by signal $1 (no core file in the tree).
ulimit -c 0
kill -"$1" $$
sleep 5
exit 99
