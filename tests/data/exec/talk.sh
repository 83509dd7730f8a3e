#!/bin/sh
# Test helper for test_exec: one line on each stream, then exit with $1.
printf 'out line one\nout line two\n'
printf 'err line\n' >&2
exit "${1:-0}"
