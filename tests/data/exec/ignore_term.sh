#!/bin/sh
# Test helper for test_exec: like sleep.sh, but the whole group ignores
# SIGTERM (the disposition is inherited by the sleeps), so only SIGKILL
# ends it.
trap '' TERM
echo $$
sleep 30 &
sleep 30
exit 0
