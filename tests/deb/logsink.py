#!/usr/bin/python3
"""A stand-in syslog for the package test: receive datagrams on PATH
(normally /dev/log, when no syslog daemon provides it) and append them, one
per line, to LOGFILE until SIGTERM.  Removes PATH at exit if it is still
the socket it made.

    logsink.py PATH LOGFILE
"""
import os
import signal
import socket
import sys


def main():
    path, logfile = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    ino = os.stat(path).st_ino
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    s.settimeout(0.2)
    with open(logfile, "ab", buffering=0) as out:
        while not stop:
            try:
                msg = s.recv(8192)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            out.write(msg.rstrip(b"\n").replace(b"\n", b" ") + b"\n")
    try:
        if os.stat(path).st_ino == ino:
            os.unlink(path)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
