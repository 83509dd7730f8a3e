#!/usr/bin/python3
"""Tiny argo-server client for the package test (stdlib only).

    argo_client.py PORT [REQUEST...]   send each REQUEST line, then "quit",
                                       print every reply line up to close
    argo_client.py --probe PORT        exit 0 if 127.0.0.1:PORT accepts

Exit 0 on success, 2 if the connection is refused, 3 on a timeout.
"""
import socket
import sys
import time

HOST = "127.0.0.1"
DEADLINE = 20.0         # seconds for the whole session


def main():
    args = sys.argv[1:]
    if args and args[0] == "--probe":
        try:
            socket.create_connection((HOST, int(args[1])), timeout=3).close()
        except OSError:
            return 1
        return 0
    port = int(args[0])
    lines = args[1:]
    if not lines or lines[-1].lower() not in ("quit", "exit"):
        lines.append("quit")
    end = time.monotonic() + DEADLINE
    try:
        s = socket.create_connection((HOST, port), timeout=5)
    except ConnectionRefusedError:
        print("connection refused", file=sys.stderr)
        return 2
    except OSError as e:
        print("connect: %s" % e, file=sys.stderr)
        return 2
    s.sendall("".join(ln + "\n" for ln in lines).encode())
    data = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            sys.stdout.write(data.decode("utf-8", "replace"))
            print("timeout", file=sys.stderr)
            return 3
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    sys.stdout.write(data.decode("utf-8", "replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
