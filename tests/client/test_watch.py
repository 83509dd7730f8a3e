"""`argo HOST[,HOST...] watch` (issue 21): three daemons watched at once,
each line prefixed as it comes, SIGINT ends every watch and exits 0; a
host that drops out is its error line and the others go on; -t bounds
the start, not the stream.  The daemons poll every second."""

import os
import re
import selectors
import signal
import subprocess
import time

import pytest

from conftest import (SLOW, Daemon, check_clean, client_argv, stop_daemons,
                      wait_for)

ADDRS = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


@pytest.fixture
def trio(tmp_path_factory):
    ds = []
    for a in ADDRS:
        d = Daemon(tmp_path_factory.mktemp("watch-%s" % a), a)
        text = d.conf.read_text().replace("[server]\n",
                                          "[server]\nwatch_interval = 1\n")
        d.conf.write_text(text)
        ds.append(d.spawn())
    for d in ds:
        d.wait_ready()
    yield ds
    stop_daemons([d for d in ds if d.proc is not None])


class Stream:
    """The client's stdout and stderr, read as they come."""

    def __init__(self, *args):
        self.p = subprocess.Popen(client_argv(*args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ, "out")
        self.sel.register(self.p.stderr, selectors.EVENT_READ, "err")
        self.buf = {"out": b"", "err": b""}
        self.lines = {"out": [], "err": []}

    def pump(self, until):
        while time.monotonic() < until:
            for key, _ in self.sel.select(max(0.0, until - time.monotonic())):
                data = os.read(key.fileobj.fileno(), 65536)
                if not data:
                    self.sel.unregister(key.fileobj)
                    continue
                self.buf[key.data] += data
                *done, self.buf[key.data] = self.buf[key.data].split(b"\n")
                self.lines[key.data] += [x.decode() for x in done]
                return True
            if not self.sel.get_map():
                return False
        return False

    def wait_for(self, pred, timeout):
        until = time.monotonic() + timeout
        while not pred():
            if time.monotonic() >= until:
                return False
            self.pump(until)
        return True

    def drain(self, seconds):
        """Read what comes for SECONDS (a span the test asserts on)."""
        until = time.monotonic() + seconds
        while time.monotonic() < until and self.sel.get_map():
            self.pump(until)

    def finish(self, timeout):
        until = time.monotonic() + timeout
        while self.sel.get_map() and time.monotonic() < until:
            self.pump(until)
        rc = self.p.wait(max(0.1, until - time.monotonic()))
        err = "\n".join(self.lines["err"])
        check_clean(rc, err)
        return rc


def has(lines, prefix, name, state):
    pat = re.compile(r"^%s: %s %s state=%s " % (re.escape(prefix), STAMP,
                                               re.escape(name), state))
    return any(pat.match(ln) for ln in lines)


def test_three_hosts_prefixed_sigint_exits_0(trio):
    trio[1].start_guest("web1")
    s = Stream(",".join(d.spec for d in trio), "watch")
    try:
        # Each host's snapshot, prefixed: web1, db1 and its own.
        assert s.wait_for(lambda: all(
            has(s.lines["out"], d.spec, n, r"\S+")
            for d in trio for n in ("web1", "db1", d.only)), 20 * SLOW), \
            s.lines
        assert has(s.lines["out"], trio[1].spec, "web1", "running")
        assert has(s.lines["out"], trio[0].spec, "web1", "stopped")
        # A change on the third host comes as it happens.
        trio[2].start_guest("db1")
        assert s.wait_for(lambda: has(s.lines["out"], trio[2].spec, "db1",
                                      "running"), 10 * SLOW), s.lines
        assert not [ln for ln in s.lines["out"]
                    if not ln.startswith(tuple(d.spec + ": "
                                               for d in trio))]
        s.p.send_signal(signal.SIGINT)
        assert s.finish(20 * SLOW) == 0
        assert s.lines["err"] == [], s.lines["err"]
    finally:
        if s.p.poll() is None:
            s.p.kill()
            s.p.wait()
    # Every watch ended cleanly: each daemon logged its session's end.
    for d in trio:
        assert wait_for(lambda d=d: "reason=quit" in d.log(), 5 * SLOW), \
            d.log()


def test_a_host_that_drops_out_and_t_bounds_only_the_start(trio):
    s = Stream("-t", "1", ",".join(d.spec for d in trio), "watch")
    try:
        assert s.wait_for(lambda: all(
            has(s.lines["out"], d.spec, d.only, "stopped") for d in trio),
            20 * SLOW), s.lines
        gone = trio[0]
        gone.stop()
        assert s.wait_for(lambda: any(ln.startswith(gone.spec + ": ")
                                      for ln in s.lines["err"]),
                          20 * SLOW), s.lines
        # The others go on, past -t.
        s.drain(1.5)
        trio[1].start_guest("web1")
        assert s.wait_for(lambda: has(s.lines["out"], trio[1].spec, "web1",
                                      "running"), 10 * SLOW), s.lines
        assert s.p.poll() is None
        s.p.send_signal(signal.SIGTERM)
        # The host that dropped out makes it 2.
        assert s.finish(20 * SLOW) == 2
        assert [ln for ln in s.lines["err"]
                if not ln.startswith(gone.spec + ": ")] == []
    finally:
        if s.p.poll() is None:
            s.p.kill()
            s.p.wait()
