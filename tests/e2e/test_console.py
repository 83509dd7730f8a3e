"""`console NAME` (DESIGN.md 3): the session becomes a raw byte stream to
the guest's console until the client's Ctrl-] (0x1d) or the console's end,
then CR LF and `300 DONE TOKEN`, back in command mode, where TOKEN is the
random one the `200 OK console end=TOKEN` line announced (argo-server(8)
CONSOLE).  The simulated toolstack's
console prints a banner naming the domain and a login prompt, then echoes
what it is sent, on a real pty."""

import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import IO_TIMEOUT, PASSWORDS, SLOW, Closed, ok, wait_for
from procs import all_procs, zombies_of

ESC = b"\x1d"
OK_RE = re.compile(r"^200 OK console end=([0-9a-f]{32})$")


def started(c):
    """The console's 200 line; its token, also kept as c.token."""
    first = c.line()
    m = OK_RE.match(first)
    assert m, first
    c.token = m.group(1)
    return c.token


def done(c):
    """The end of c's console: CR LF 300 DONE TOKEN LF."""
    return b"\r\n300 DONE " + c.token.encode() + b"\n"


@pytest.fixture
def d(daemon_factory, users_all):
    return daemon_factory(users=users_all, require_toolstack=True,
                          server={"workers": "3"})


def read_until(c, needle, timeout=None):
    """Bytes from the session up to and including NEEDLE."""
    deadline = time.monotonic() + (timeout or IO_TIMEOUT)
    while needle not in c.buf:
        if c.eof or not c._fill(deadline):
            raise Closed("closed before %r; got %r" % (needle, c.buf[-300:]))
    i = c.buf.index(needle) + len(needle)
    out, c.buf = c.buf[:i], c.buf[i:]
    return out


def attach(c, name="web1"):
    c.send("console %s\n" % name)
    started(c)
    banner = read_until(c, b"login: ")
    assert name.encode() in banner, banner
    return banner


def console_procs(d):
    return [c for c in d.fake_procs()
            if "console" in open("/proc/%d/cmdline" % c).read()]


def test_attach_type_echo_detach(d):
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        attach(c)
        c.send(b"root\r")
        echo = read_until(c, b"root")
        assert b"root" in echo
        c.send(ESC)
        tail = read_until(c, done(c))
        assert tail.endswith(done(c))
        # command mode again, same session
        assert c.cmd("version")[0] == "200 OK"
        assert c.cmd("whoami") == ["200 OK", "admin", "300 DONE"]
    line = d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=console "
                      r"instance=web1 rc=0 ms=\d+ worker_in=(\d+) "
                      r"worker_out=(\d+)$")
    m = re.search(r"worker_in=(\d+) worker_out=(\d+)", line)
    # "root\r" went in (the escape is the server's, never the guest's)
    assert int(m.group(1)) == 5 and int(m.group(2)) > 10, line
    # the console process is gone and reaped
    assert wait_for(lambda: not console_procs(d), 3 * SLOW)
    broker = d.broker()
    # the broker reaps on SIGCHLD: none of its children stays a zombie
    assert wait_for(lambda: not zombies_of([broker], all_procs()), 2 * SLOW)


def test_bytes_after_the_escape_are_commands(d):
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        # the request, console input and the escape in one segment, and a
        # command right behind it
        c.send(b"console web1\nabc" + ESC + b"whoami\n")
        started(c)
        read_until(c, done(c))
        assert c.reply() == ["200 OK", "admin", "300 DONE"]


def test_escape_alone_in_its_own_segment(d):
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        attach(c)
        for chunk in (b"he", b"ll", b"o\r"):
            c.send(chunk)
            time.sleep(0.05)
        read_until(c, b"hello")
        # telnet IAC before the escape: consumed, not passed on
        c.send(b"\xff\xfb\x01")
        time.sleep(0.05)
        c.send(ESC)
        read_until(c, done(c))
        assert c.cmd("version")[0] == "200 OK"


def test_telnet_bytes_are_filtered(d):
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        attach(c)
        # IAC IAC is a data byte 0xff; IAC DO x and IAC SB ... SE vanish;
        # CR NUL is CR
        c.send(b"x\xff\xfd\x18y\xff\xfa\x18\x01\xff\xf0z\r\0")
        echo = read_until(c, b"z")
        assert b"\xfd" not in echo and b"\x18" not in echo
        assert re.search(rb"x\s*y\s*z", echo), echo
        c.send(ESC)
        read_until(c, done(c))


def test_not_running_starts_nothing(d):
    n = d.ncalls()
    with d.session("admin") as c:
        assert c.cmd("console web1") == ["400 NOT RUNNING"]
        assert c.cmd("console nosuch") == ["400 NO SUCH INSTANCE"]
        assert c.cmd("console") == ["400 USAGE: console NAME"]
    assert all(a[1] != "console" for a in d.argvs_since(n))


def test_console_permissions(d):
    with d.session("admin") as c:
        ok(c.cmd("start web2"))
        ok(c.cmd("start web1"))
    assert d.ask("console web1") == ["400 NOT AUTHENTICATED"]
    assert d.ask("console web1", user="ro") == ["400 PERMISSION DENIED"]
    # lim sees web1 and db1 only
    assert d.ask("console web2", user="lim") == ["400 NO SUCH INSTANCE"]
    assert not console_procs(d)


def test_second_attach_is_busy(d):
    with d.session("admin") as a, d.session("admin") as b:
        ok(a.cmd("start web1"))
        attach(a)
        assert b.cmd("console web1") == ["400 CONSOLE BUSY"]
        a.send(ESC)
        read_until(a, done(a))
        attach(b)
        b.send(ESC)
        read_until(b, done(b))


def test_guest_destroyed_while_attached(d):
    with d.session("admin") as a, d.session("admin") as b:
        ok(a.cmd("start web1"))
        attach(a)
        ok(b.cmd("destroy web1"))
        read_until(a, done(a), timeout=IO_TIMEOUT * 2)
        assert a.cmd("status web1")[3] == "state: stopped"
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=console "
               r"instance=web1 rc=\d+ ms=\d+ worker_in=\d+ "
               r"worker_out=\d+$")
    assert wait_for(lambda: not console_procs(d), 3 * SLOW)


def test_client_gone_while_attached(d):
    c = d.session("admin")
    ok(c.cmd("start web1"))
    attach(c)
    c.close()
    d.wait_log(r"verb=console instance=web1 rc=\S+ ms=\d+ worker_in=\d+ "
               r"worker_out=\d+$")
    assert wait_for(lambda: not console_procs(d), 5 * SLOW)
    with d.session("admin") as c:      # and it is free again
        attach(c)
        c.send(ESC)
        read_until(c, done(c))


@pytest.mark.slow
def test_idle_timeout_in_console(daemon_factory, users_all):
    d = daemon_factory(users=users_all, require_toolstack=True,
                       server={"idle_timeout": "2"})
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        attach(c)
        # activity in either direction keeps it open
        for _ in range(3):
            time.sleep(1)
            c.send(b"k")
        tail = c.read_all(timeout=10)
        assert tail.endswith(done(c) + b"400 TIMEOUT\n"), tail
    assert wait_for(lambda: not console_procs(d), 5 * SLOW)


def worker_rss_kb(d):
    out = 0
    for w in d.workers():
        with open("/proc/%d/status" % w) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    out = max(out, int(ln.split()[1]))
    return out


@pytest.mark.slow
def test_ten_mib_through_a_slow_reader(d):
    """Backpressure: the guest prints 10 MiB at full speed while the
    client reads slowly; the worker neither spins nor buffers it all."""
    size = 10 * 1024 * 1024
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        d.inject("console", flood=str(size))
        c.send("console web1\n")
        started(c)
        base = worker_rss_kb(d)
        got, peak = len(c.buf), base
        c.buf = b""
        c.sock.settimeout(IO_TIMEOUT)
        t0 = time.monotonic()
        while got < size:
            chunk = c.sock.recv(65536)
            assert chunk, "closed after %d bytes" % got
            got += len(chunk)
            if got < 2 * 1024 * 1024:
                time.sleep(0.002)          # a slow reader at first
            peak = max(peak, worker_rss_kb(d))
        elapsed = time.monotonic() - t0
        print("console: %.1f MiB/s, worker RSS peak %d kB (base %d)"
              % (size / elapsed / 1048576, peak, base))
        assert peak - base < 2048, (base, peak)
        c.send(ESC)
        read_until(c, done(c), timeout=IO_TIMEOUT * 2)
    d.clear_inject()


@pytest.mark.skipif(shutil.which("expect") is None or
                    shutil.which("telnet") is None,
                    reason="needs expect and telnet")
def test_telnet_under_expect(d):
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
    script = os.path.join(os.path.dirname(__file__), "console_telnet.exp")
    r = subprocess.run(["expect", script, "127.0.0.1", str(d.port), "admin",
                        PASSWORDS["admin"], "web1"], capture_output=True,
                       text=True, timeout=60 * SLOW)
    assert r.returncode == 0, r.stdout + r.stderr
