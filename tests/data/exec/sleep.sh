#!/bin/sh
# Test helper for test_exec: print our pid (the process group), then wait
# for a long time with a second process in the group.
echo $$
sleep 30 &
sleep 30
exit 0
