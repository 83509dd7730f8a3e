"""jobctl.py CMD...: run CMD as a shell with job control would, in its own
process group in the foreground of the terminal, so that a stop signal
really stops it (the kernel drops SIGTSTP for an orphaned process group,
which is what CMD's group would be directly under `expect`'s `sh -c`).
Waits for CMD to end, stops included; exits with its status (128 + the
signal when killed)."""

import os
import signal
import sys


def main():
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        os.setpgid(0, 0)
        signal.signal(signal.SIGTTOU, signal.SIG_DFL)
        os.execvp(sys.argv[1], sys.argv[1:])
    os.setpgid(pid, pid)
    os.tcsetpgrp(0, pid)
    while True:
        _, st = os.waitpid(pid, os.WUNTRACED | os.WCONTINUED)
        if os.WIFEXITED(st) or os.WIFSIGNALED(st):
            break
    os.tcsetpgrp(0, os.getpgrp())
    return os.WEXITSTATUS(st) if os.WIFEXITED(st) else \
        128 + os.WTERMSIG(st)


if __name__ == "__main__":
    sys.exit(main())
