#!/usr/bin/python3
# Test helper for test_exec: report what the child inherited.  Lines:
#   fd N TARGET     for every open descriptor
#   pgrp-leader yes|no
#   pid N
import os

for name in sorted(os.listdir('/proc/self/fd'), key=int):
    try:
        target = os.readlink('/proc/self/fd/' + name)
    except OSError:
        continue        # the descriptor listdir() itself used
    if target.startswith('pipe:'):
        target = 'pipe'
    print('fd', name, target)
print('pgrp-leader', 'yes' if os.getpgrp() == os.getpid() else 'no')
print('pid', os.getpid())
