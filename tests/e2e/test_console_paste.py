"""Pastes through an echoing guest (issue 18): `console NAME` must never
wedge.  The simulated guest echoes what it is sent on a real pty at its own
pace (CR and LF come back as CR LF), so a paste tests both directions at
once: the worker writes to the guest while the guest writes its echo back.
Every byte must come back, in order, whatever the size, with the worker's
memory bounded; Ctrl-] must end the console at any moment of a paste; and
a client that vanishes while attached must free the console at once.

Sizes: 10 MiB, 1 MiB under valgrind (the worker is slow there, the
behaviour asserted is the same)."""

import os
import random
import re
import select
import socket
import threading
import time

import pytest

from conftest import IO_TIMEOUT, SLOW, VALGRIND, ok, wait_for

ESC = b"\x1d"
OK_RE = re.compile(rb"^200 OK console end=([0-9a-f]{32})\n")
SIZE = (1 if VALGRIND else 10) * 1024 * 1024
# Generous: the guest is a Python program reading 60 bytes at a time.
PASTE_TIMEOUT = 240 * SLOW


@pytest.fixture
def d(daemon_factory, users_all):
    return daemon_factory(users=users_all, require_toolstack=True,
                          server={"workers": "3"})


def blob(size, seed=18):
    """SIZE bytes a user might paste: printable text in lines, nothing the
    telnet layer or the tty would change (no CR, IAC, Ctrl-])."""
    rnd = random.Random(seed)
    line = bytes(rnd.randrange(0x20, 0x7f) for _ in range(4096))
    out = bytearray()
    while len(out) < size:
        n = rnd.randrange(1, 200)
        off = rnd.randrange(0, len(line) - n)
        out += line[off:off + n] + b"\n"
    return bytes(out[:size])


def echo_of(data):
    """The guest tty's echo (ICRNL + ONLCR)."""
    return data.replace(b"\r", b"\n").replace(b"\n", b"\r\n")


class Con:
    """A raw console session: attached to web1, banner read."""

    def __init__(self, d, user="admin", start=True):
        self.c = d.session(user)
        if start:
            ok(self.c.cmd("start web1"))
        self.sock = self.c.sock
        self.buf = b""
        self.token = None

    def attach(self, name="web1", banner=True):
        self.sock.sendall(b"console " + name.encode() + b"\n")
        self.read_until(b"\n")
        m = OK_RE.match(self.buf)
        assert m, self.buf[:200]
        self.token = m.group(1)
        self.buf = self.buf[m.end():]
        if not banner:
            return
        self.read_until(b" login: ")
        self.buf = self.buf[self.buf.index(b" login: ") + 8:]

    def done(self):
        return b"\r\n300 DONE " + self.token + b"\n"

    def read_until(self, needle, timeout=None):
        deadline = time.monotonic() + (timeout or IO_TIMEOUT)
        while needle not in self.buf:
            left = deadline - time.monotonic()
            assert left > 0, "no %r; got %r" % (needle, self.buf[-300:])
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                chunk = self.sock.recv(65536)
                assert chunk, "closed before %r; got %r" % (
                    needle, self.buf[-300:])
                self.buf += chunk

    def close(self):
        self.c.close()


def serving_worker(d):
    """The worker that holds a console's pty (the one serving it)."""
    def find():
        for w in d.workers():
            try:
                for fd in os.listdir("/proc/%d/fd" % w):
                    if os.readlink("/proc/%d/fd/%s" % (w, fd)) == \
                            "/dev/ptmx":
                        return w
            except OSError:
                continue
        return None
    w = wait_for(find, IO_TIMEOUT)
    assert w, "no worker holds a pty"
    return w


def status_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith(key + ":"):
                return int(ln.split()[1])
    raise AssertionError("no %s for %d" % (key, pid))


def check_detach(d, con, what):
    """Ctrl-] now ends it; command mode works on the same session."""
    con.sock.sendall(ESC)
    con.read_until(con.done(), timeout=IO_TIMEOUT)
    rest = con.buf[con.buf.index(con.done()) + len(con.done()):]
    assert rest == b"", (what, rest[:200])
    con.c.buf = b""
    assert con.c.cmd("whoami") == ["200 OK", "admin", "300 DONE"], what


def test_paste_written_and_read_at_once(d):
    """One thread, non-blocking, writing the paste and reading its echo
    as each side allows; the worker's peak RSS stays bounded."""
    data = blob(SIZE)
    want = echo_of(data)
    con = Con(d)
    con.attach()
    w = serving_worker(d)
    hwm0 = status_kb(w, "VmHWM")
    got = bytearray(con.buf)
    con.buf = b""
    sent = 0
    con.sock.setblocking(False)
    t0 = time.monotonic()
    deadline = t0 + PASTE_TIMEOUT
    while len(got) < len(want):
        left = deadline - time.monotonic()
        assert left > 0, "stuck: sent %d of %d, echoed %d of %d" % (
            sent, len(data), len(got), len(want))
        r, wr, _ = select.select([con.sock],
                                 [con.sock] if sent < len(data) else [],
                                 [], left)
        if wr:
            try:
                sent += con.sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
        if r:
            chunk = con.sock.recv(1 << 20)
            assert chunk, "closed after %d echoed bytes" % len(got)
            got += chunk
    elapsed = time.monotonic() - t0
    con.sock.setblocking(True)
    con.sock.settimeout(IO_TIMEOUT)
    assert bytes(got) == want, "echo differs at byte %d" % next(
        i for i in range(min(len(got), len(want))) if got[i] != want[i])
    hwm = status_kb(w, "VmHWM")
    print("paste: %d bytes echoed in %.2f s, %.2f MiB/s; worker %d VmHWM "
          "%d kB (%d kB before)" % (len(data), elapsed,
                                    len(data) / elapsed / 1048576, w, hwm,
                                    hwm0))
    if not VALGRIND and "asan" not in os.environ.get("ARGO_BIN", ""):
        # two 64 KiB buffers: the paste itself never lands in the worker
        assert hwm - hwm0 < 1024, (hwm0, hwm)
    check_detach(d, con, "after the paste")
    con.close()


def test_paste_written_before_anything_is_read(d):
    """A paste in one go from a writer thread; nothing is read until the
    writer is done or cannot go on (the client's own buffers are full
    because it reads nothing, so the worker had to stop reading it while
    still draining the guest).  Then everything arrives."""
    data = blob(SIZE, seed=7)
    want = echo_of(data)
    con = Con(d)
    con.attach()
    con.sock.settimeout(PASTE_TIMEOUT)
    progress = {"sent": 0, "error": None}

    def writer():
        try:
            for off in range(0, len(data), 65536):
                con.sock.sendall(data[off:off + 65536])
                progress["sent"] = off + len(data[off:off + 65536])
        except OSError as e:
            progress["error"] = e
    t = threading.Thread(target=writer, daemon=True)
    t0 = time.monotonic()
    t.start()
    # Read nothing while the writer makes progress: until it is done, or
    # has been stuck for a while.  (This only decides when reading starts;
    # the outcome must be the same whenever it does.)
    last, still = -1, 0
    while t.is_alive() and still < 10 and \
            time.monotonic() - t0 < PASTE_TIMEOUT / 2:
        t.join(0.05 * SLOW)
        now = progress["sent"]
        still = still + 1 if now == last else 0
        last = now
    stalled_at = progress["sent"]
    got = bytearray(con.buf)
    con.buf = b""
    deadline = t0 + PASTE_TIMEOUT
    while len(got) < len(want):
        left = deadline - time.monotonic()
        assert left > 0, "stuck: sent %d, echoed %d of %d" % (
            progress["sent"], len(got), len(want))
        r, _, _ = select.select([con.sock], [], [], left)
        if r:
            chunk = con.sock.recv(1 << 20)
            assert chunk, "closed after %d echoed bytes" % len(got)
            got += chunk
    t.join(IO_TIMEOUT)
    assert not t.is_alive() and progress["error"] is None, progress
    print("paste before reading: writer stopped at %d of %d bytes before "
          "the first read; all echoed in %.2f s" % (
              stalled_at, len(data), time.monotonic() - t0))
    assert bytes(got) == want
    con.sock.settimeout(IO_TIMEOUT)
    check_detach(d, con, "after the paste")
    con.close()


def test_escape_in_the_middle_of_a_paste(d):
    """Ctrl-] while the guest is far behind (the buffer toward it full):
    the console ends promptly with its end line, the rest of the paste is
    dropped, the next command is a command, and the console is free."""
    data = blob(SIZE, seed=3)
    con = Con(d)
    con.attach()
    # Small buffers on our side, so that what is queued ahead of the
    # escape is bounded by the server's, not by ours.
    con.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
    con.sock.setblocking(False)
    sent = 0
    got = bytearray(con.buf)
    con.buf = b""
    deadline = time.monotonic() + PASTE_TIMEOUT
    # Paste until the guest has echoed a good part and is behind.
    while len(got) < 256 * 1024:
        assert time.monotonic() < deadline, (sent, len(got))
        r, wr, _ = select.select([con.sock], [con.sock], [], 1)
        if wr and sent < len(data):
            try:
                sent += con.sock.send(data[sent:sent + 65536])
            except BlockingIOError:
                pass
        if r:
            got += con.sock.recv(1 << 20)
    assert sent > len(got) // 2, (sent, len(got))
    con.sock.setblocking(True)
    con.sock.settimeout(IO_TIMEOUT)
    t0 = time.monotonic()
    con.sock.sendall(ESC + b"whoami\n")
    con.buf = bytes(got)
    con.read_until(con.done(), timeout=30 * SLOW)
    took = time.monotonic() - t0
    print("escape mid-paste: %d bytes pasted, end line after %.2f s"
          % (sent, took))
    i = con.buf.index(con.done())
    echoed = con.buf[:i]
    # what came back is the echo of a prefix of the paste
    assert echo_of(data).startswith(echoed), "echo is not a prefix"
    con.c.buf = con.buf[i + len(con.done()):]
    assert con.c.reply() == ["200 OK", "admin", "300 DONE"]
    d.wait_log(r"verb=console instance=web1 rc=\S+ ms=\d+ worker_in=\d+ "
               r"worker_out=\d+$")
    # and the console is free again
    con.buf = b""
    con.attach()
    check_detach(d, con, "second attach")
    con.close()


def test_reattach_right_after_the_client_vanished(d):
    """The client's connection goes while attached; the same user, on a
    session already logged in, attaches at once: no CONSOLE BUSY."""
    a = Con(d)
    a.attach()
    b = Con(d, start=False)
    t0 = time.monotonic()
    a.sock.close()
    b.sock.sendall(b"console web1\n")
    b.read_until(b"\n", timeout=IO_TIMEOUT * 2)
    first = b.buf.split(b"\n", 1)[0]
    took = time.monotonic() - t0
    print("re-attach after a vanished client: %r after %.3f s"
          % (first[:24], took))
    assert first.startswith(b"200 OK console end="), first
    b.buf = b""
    b.token = first.split(b"=", 1)[1]
    b.read_until(b" login: ")
    check_detach(d, b, "re-attached")
    # the vanished one's console was logged, without the worker's claim
    # of bytes only if it never sent one
    d.wait_log(r"verb=console instance=web1 rc=\S+ ms=\d+ worker_in=\d+ "
               r"worker_out=\d+$")
    b.close()


def test_reattach_on_a_new_connection(d):
    """The realistic case: a new connection, login, console."""
    a = Con(d)
    a.attach()
    a.sock.close()
    b = Con(d, start=False)
    b.attach()
    check_detach(d, b, "new connection")
    b.close()


def test_idle_timeout_while_the_guest_takes_nothing(daemon_factory,
                                                    users_all):
    """A paste into a paused guest: the pty and the buffer toward the guest
    fill, the worker stops reading the client, nothing moves; idle_timeout
    still ends the console (end line, 400 TIMEOUT, closed)."""
    idle = 8 if VALGRIND else 2
    d = daemon_factory(users=users_all, require_toolstack=True,
                       server={"workers": "3", "idle_timeout": str(idle)})
    con = Con(d)
    # Paused before the console starts: its first look sees it (no
    # banner, no echo), so nothing the test does races the guest.
    ok(con.c.cmd("pause web1"))
    con.attach(banner=False)
    data = blob(1024 * 1024, seed=5)
    con.sock.settimeout(PASTE_TIMEOUT)

    def writer():
        try:
            con.sock.sendall(data)
        except OSError:
            pass            # the server closed on us: expected
    t = threading.Thread(target=writer, daemon=True)
    t0 = time.monotonic()
    t.start()
    con.read_until(b"400 TIMEOUT\n", timeout=idle + 30 * SLOW)
    took = time.monotonic() - t0
    done_and = con.done() + b"400 TIMEOUT\n"
    tail = con.buf[-len(done_and):]
    assert tail == done_and, con.buf[-300:]
    # a paused guest echoes nothing
    assert con.buf == done_and, con.buf[:300]
    assert took >= idle - 0.5, took
    t.join(IO_TIMEOUT)
    con.close()
