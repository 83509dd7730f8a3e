"""Clients of the local socket as other uids (DESIGN.md 8): each runs in a
forked child that drops to the uid and groups given, so that the kernel's
SO_PEERCRED names that uid.  Root only; every wait is bounded."""

import json
import os
import select
import signal
import socket
import time


def _run_child(wfd, uid, gid, groups, body):
    try:
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
        out = body()
    except BaseException as e:  # the parent reports it
        out = {"error": "%s: %s" % (type(e).__name__, e),
               "errno": getattr(e, "errno", None)}
    os.write(wfd, json.dumps(out).encode())
    os.close(wfd)
    os._exit(0)


def run_as(uid, body, gid=65534, groups=(), timeout=20.0):
    """body() in a child as uid/gid/groups; its JSON-able result."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _run_child(w, uid, gid, list(groups), body)
    os.close(w)
    data = b""
    deadline = time.monotonic() + timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("uid %d client: no result in %ss"
                                     % (uid, timeout))
            ready, _, _ = select.select([r], [], [], left)
            if not ready:
                continue
            chunk = os.read(r, 65536)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(r)
        try:
            os.kill(pid, signal.SIGKILL) if not data else None
        except OSError:
            pass
        os.waitpid(pid, 0)
    return json.loads(data.decode())


def talk(path, lines, timeout=10.0):
    """Connect, send lines and quit, read to EOF: the reply lines."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(("".join(l + "\n" for l in lines) + "quit\n").encode())
    buf = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode(errors="replace").splitlines()


def session_as(path, uid, lines, gid=65534, groups=(), timeout=10.0):
    return run_as(uid, lambda: {"lines": talk(path, lines, timeout)},
                  gid=gid, groups=groups, timeout=timeout * 2)
