"""`watch` (issue 21, DESIGN.md 3.2): the snapshot, each change of state,
id, mem or vcpus from another session once and within watch_interval + 1 s,
.cfg files appearing and leaving, scoping by account, the line that ends
it, one toolstack `list` per interval for every watcher together and none
while nobody watches, a failing toolstack, idle_timeout, keepalive, and a
client that stops reading.  watch_interval is 1 s throughout; every wait is
for a line, a log line or a call count, with a bounded deadline."""

import os
import re
import socket
import time

import pytest

from conftest import (IO_TIMEOUT, SLOW, VALGRIND, Client, body, wait_for)

INTERVAL = 1
# A change is seen by the next poll, at most INTERVAL later, then sent.
CHANGE_BOUND = (INTERVAL + 1) * SLOW
LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) (\S+) state=(\S+) "
                  r"id=(\S+) mem=(\S+) vcpus=(\S+)$")
FAILED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) - toolstack "
                    r"failed: (.*)$")


@pytest.fixture(scope="module")
def d(module_factory, users_all):
    return module_factory(toolstack="xl", require_toolstack=True,
                          users=users_all,
                          server={"watch_interval": str(INTERVAL)})


def quiet(d, ends=0):
    """Every session of the earlier tests has ended (the log says so):
    none still watches, so the broker's last poll is forgotten and a new
    watch starts from a fresh one (and at least ENDS sessions ended)."""
    d.wait_sessions_logged(ends)


def inject(d, verb, **files):
    """inject/VERB.KEY files, each whole at once (the fake may be reading
    them), the one that triggers (rc) last."""
    idir = d.state / "inject"
    idir.mkdir(exist_ok=True)
    for key in sorted(files, key=lambda k: k == "rc"):
        tmp = idir / (".tmp-%s.%s" % (verb, key))
        tmp.write_text(files[key])
        os.rename(tmp, idir / ("%s.%s" % (verb, key)))


@pytest.fixture(autouse=True)
def reset(d):
    """Each test starts with no guest, no injection, the sample .cfgs, and
    no session of an earlier test."""
    quiet(d)
    yield
    d.clear_inject()
    dom = d.state / "domains"
    if dom.is_dir():
        for p in dom.iterdir():
            p.unlink()
    for p in d.xen_dir.iterdir():
        if p.name.startswith("extra"):
            p.unlink()


def parse(line):
    m = LINE.match(line)
    assert m, "not a watch line: %r" % line
    stamp, name, state, i, mem, vcpus = m.groups()
    time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    return {"name": name, "state": state, "id": i, "mem": mem,
            "vcpus": vcpus}


class Watch:
    """A session that watches: its snapshot, then one line at a time."""

    def __init__(self, c):
        self.c = c
        self.snapshot = []

    @staticmethod
    def start(d, user=None, names=None):
        w = Watch(d.session(user))
        w.c.send("watch\n")
        assert w.c.line() == "200 OK"
        # The snapshot: one line per visible instance.
        want = len(names)
        w.snapshot = [parse(w.c.line(timeout=IO_TIMEOUT * 2))
                      for _ in range(want)]
        return w

    def next(self, timeout=None):
        return self.c.line(timeout=timeout or IO_TIMEOUT)

    def wait(self, name, state, timeout):
        """The next lines until NAME's with STATE; returns (line, seconds,
        the lines before it)."""
        t0 = time.monotonic()
        before = []
        while True:
            left = timeout - (time.monotonic() - t0)
            assert left > 0, "no %s %s line within %.1fs; got %r" % (
                name, state, timeout, before)
            ln = self.next(timeout=left)
            if LINE.match(ln):
                p = parse(ln)
                if p["name"] == name and p["state"] == state:
                    return p, time.monotonic() - t0, before
            before.append(ln)

    def end(self):
        """Send a line; the lines before 300 DONE."""
        self.c.send("\n")
        out = []
        while True:
            ln = self.next()
            if ln == "300 DONE":
                return out
            out.append(ln)

    def close(self):
        self.c.close()


def visible(d, user=None):
    return body(d.ask("list available", user))


def list_calls(d):
    return sum(1 for a in d.argvs_since(0) if a[1:2] == ["list"])


def test_snapshot_then_end_back_in_command_mode(d):
    with d.session("admin") as a:
        assert a.cmd("start web1")[0] == "200 OK"
    names = visible(d)
    w = Watch.start(d, names=names)
    by = {p["name"]: p for p in w.snapshot}
    assert sorted(by) == sorted(names)
    web1 = d.domains()["web1"]
    assert by["web1"] == {"name": "web1", "state": "running",
                          "id": web1["domid"], "mem": "512", "vcpus": "2"}
    # Stopped: the file's memory and vcpus, else "-".
    assert by["db1"] == {"name": "db1", "state": "stopped", "id": "-",
                         "mem": "1024", "vcpus": "4"}
    assert by["web2"]["mem"] == "256" and by["web2"]["vcpus"] == "-"
    assert (by["bare"]["mem"], by["bare"]["vcpus"]) == ("-", "-")
    assert w.end() == []
    # Back in command mode, same session.
    assert body(w.c.cmd("whoami")) == ["anonymous"]
    w.close()


def test_each_change_once_within_an_interval(d):
    names = visible(d)
    w = Watch.start(d, names=names)
    seen = []
    with d.session("admin") as a:
        for verb, state in (("start", "running"), ("pause", "paused"),
                            ("unpause", "running"), ("destroy", "stopped")):
            r = a.cmd("%s web1" % verb)
            assert r[0] == "200 OK", r
            p, secs, before = w.wait("web1", state, CHANGE_BOUND + 2)
            assert secs <= CHANGE_BOUND, (verb, secs)
            seen += before + [p]
    rest = w.end()
    web1 = [p for p in seen if isinstance(p, dict)] + \
        [parse(ln) for ln in rest if LINE.match(ln)]
    assert [p["state"] for p in web1 if p["name"] == "web1"] == \
        ["running", "paused", "running", "stopped"]
    assert not [ln for ln in seen if isinstance(ln, str)], seen
    w.close()


def test_cfg_added_and_removed(d):
    w = Watch.start(d, names=visible(d))
    d.write_cfg("extra1.cfg", 'name = "extra1"\nmemory = 96\nvcpus = 3\n')
    p, secs, _ = w.wait("extra1", "stopped", CHANGE_BOUND + 2)
    assert (p["id"], p["mem"], p["vcpus"]) == ("-", "96", "3")
    os.unlink(d.xen_dir / "extra1.cfg")
    p, secs, _ = w.wait("extra1", "gone", CHANGE_BOUND + 2)
    assert (p["id"], p["mem"], p["vcpus"]) == ("-", "-", "-")
    w.end()
    w.close()


def test_restricted_account_sees_only_its_own(d):
    w = Watch.start(d, user="lim", names=["db1", "web1"])
    assert sorted(p["name"] for p in w.snapshot) == ["db1", "web1"]
    with d.session("admin") as a:
        assert a.cmd("start web2")[0] == "200 OK"
        assert a.cmd("start web1")[0] == "200 OK"
    _, _, before = w.wait("web1", "running", CHANGE_BOUND + 2)
    # Two more polls, then the end: whatever was queued has come.
    n = list_calls(d)
    assert wait_for(lambda: list_calls(d) >= n + 2, 10 * SLOW)
    rest = w.end()
    assert not [ln for ln in before + rest if " web2 " in ln], before + rest
    w.close()


def test_any_line_ends_it_and_is_not_a_command(d):
    with d.session() as c:
        c.send("watch\n")
        assert c.line() == "200 OK"
        # `quit` here only ends the watch; the session goes on.
        c.send("quit\n")
        while c.line() != "300 DONE":
            pass
        assert body(c.cmd("version")) == ["argo-server 0.1.0"]
        # Pipelined: the watch, the line that ends it, the next request.
        c.send("watch\nstop\nwhoami\n")
        assert c.line() == "200 OK"
        while c.line() != "300 DONE":
            pass
        assert c.reply() == ["200 OK", "anonymous", "300 DONE"]


def test_usage_and_permission(d):
    assert d.ask("watch now") == ["400 USAGE: watch"]
    with d.session() as c:
        c.send("watch\n")
        assert c.line() == "200 OK"


def test_two_watchers_one_list_per_interval(d):
    w1 = Watch.start(d, names=visible(d))
    w2 = Watch.start(d, user="admin", names=visible(d))
    n = list_calls(d)
    assert wait_for(lambda: list_calls(d) >= n + 1, 10 * SLOW)
    t0 = time.monotonic()
    n = list_calls(d)
    assert wait_for(lambda: list_calls(d) >= n + 6, 30 * SLOW)
    elapsed = time.monotonic() - t0
    # Six polls for both take six intervals, not three (the slack: how
    # long the fake takes to log a call varies).
    assert elapsed >= 6 * INTERVAL - 1.5, elapsed
    # And both see a change from the same poll: the same line.
    with d.session("admin") as a:
        assert a.cmd("start db1")[0] == "200 OK"
    l1 = w1.wait("db1", "running", CHANGE_BOUND + 2)
    l2 = w2.wait("db1", "running", CHANGE_BOUND + 2)
    assert l1[0] == l2[0]
    w1.end()
    w2.end()
    w1.close()
    w2.close()


def test_no_list_while_nobody_watches(d):
    w = Watch.start(d, names=visible(d))
    w.end()
    w.close()
    quiet(d)
    # A poll started before the end may still be logged; then none.
    n = list_calls(d)
    wait_for(lambda: list_calls(d) > n + 1, 2.5 * INTERVAL)
    assert list_calls(d) <= n + 1
    n = list_calls(d)
    assert not wait_for(lambda: list_calls(d) > n, 3 * INTERVAL)


def test_toolstack_failure_is_one_line_and_the_watch_goes_on(d):
    w = Watch.start(d, names=visible(d))
    inject(d, "list", rc="1", stderr="xl: something broke\n")
    n = list_calls(d)
    ln = w.next(timeout=CHANGE_BOUND + 2)
    m = FAILED.match(ln)
    assert m and m.group(2) == "xl: something broke", ln
    # Failing again and again: still that one line.
    assert wait_for(lambda: list_calls(d) >= n + 3, 10 * SLOW)
    d.clear_inject()
    with d.session("admin") as a:
        assert a.cmd("start web2")[0] == "200 OK"
    _, _, before = w.wait("web2", "running", CHANGE_BOUND + 4)
    assert before == [], before
    w.end()
    w.close()


def test_idle_timeout_does_not_end_a_watch(daemon_factory):
    d = daemon_factory(toolstack="xl", require_toolstack=True,
                       server={"watch_interval": "1", "idle_timeout": "1"})
    w = Watch.start(d, names=visible(d))
    n = list_calls(d)
    assert wait_for(lambda: list_calls(d) >= n + 3, 10 * SLOW)
    assert w.end() == []
    assert body(w.c.cmd("whoami")) == ["anonymous"]
    w.close()


def tcp_timer(port, peer_port):
    """The `tr` field of the daemon's side of a loopback connection in
    /proc/net/tcp: 0 none, 1 retransmit, 2 keepalive (or -1: not found)."""
    with open("/proc/net/tcp") as f:
        for row in f.read().splitlines()[1:]:
            cols = row.split()
            lport = int(cols[1].split(":")[1], 16)
            rport = int(cols[2].split(":")[1], 16)
            if lport == port and rport == peer_port:
                return int(cols[5].split(":")[0], 16)
    return -1


def test_watching_session_has_keepalive(d):
    with d.session() as c:
        mine = c.sock.getsockname()[1]
        assert body(c.cmd("version"))
        # No keepalive (once our ACK is in: no retransmit timer either).
        assert wait_for(lambda: tcp_timer(d.port, mine) == 0, IO_TIMEOUT)
        c.send("watch\n")
        assert c.line() == "200 OK"
        assert wait_for(lambda: tcp_timer(d.port, mine) == 2, IO_TIMEOUT)


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            if ln.startswith("VmRSS:"):
                return int(ln.split()[1])
    return 0


@pytest.mark.slow
def test_stalled_reader_is_dropped_with_rss_bounded(d, request):
    # A client that reads nothing after the snapshot, with tiny buffers.
    ends = d.session_ends()
    names = visible(d)
    # visible()'s session, start and end, is in the log before the mark:
    # the watch's is then the one session begun since.
    quiet(d, ends + 1)
    mark = d.mark()
    s = socket.socket()
    # Closed however the test ends: a watch left open would fail the
    # next tests' quiet() instead of this one alone.
    request.addfinalizer(s.close)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(IO_TIMEOUT)
    s.connect(("127.0.0.1", d.port))
    c = Client.__new__(Client)
    c.sock, c.buf, c.eof, c.timeout = s, b"", False, IO_TIMEOUT
    c.send("watch\n")
    assert c.line() == "200 OK"
    for _ in names:
        parse(c.line())
    # Its worker: the one session begun since the mark (its line may
    # still be on its way through the relay).
    worker = wait_for(lambda: [pid for pid, m in d.messages(mark)
                               if m.startswith("session start peer=")],
                      IO_TIMEOUT)
    assert worker and len(worker) == 1, d.log()[mark:]
    base = vm_rss_kb(worker[0])
    peak = base
    # Changes pile up: 4000 .cfg files come and go, ~115 bytes a line.
    names = ["extra-%04d-%s" % (i, "x" * 50) for i in range(4000)]
    deadline = time.monotonic() + 60 * SLOW
    dropped = []
    while not dropped and time.monotonic() < deadline:
        for n in names:
            (d.xen_dir / ("%s.cfg" % n)).write_text('name = "%s"\n' % n)
        k = list_calls(d)
        wait_for(lambda: list_calls(d) >= k + 2 or
                 d.grep("dropping it", mark), 10 * SLOW)
        peak = max(peak, vm_rss_kb(worker[0]))
        for n in names:
            os.unlink(d.xen_dir / ("%s.cfg" % n))
        k = list_calls(d)
        wait_for(lambda: list_calls(d) >= k + 2 or
                 d.grep("dropping it", mark), 10 * SLOW)
        peak = max(peak, vm_rss_kb(worker[0]))
        dropped = d.grep(r"watch peer=\S+: the client takes no lines",
                         mark)
    assert dropped, d.log()[mark:][-3000:]
    # The worker's buffer is 256 KiB and a reply: far below 4 MiB more.
    assert peak - base < 4096, (base, peak)
    d.wait_log(r"session end peer=\S+ .*reason=stalled", mark)
    s.close()
    # The worker serves the next client.
    assert body(d.ask("version")) == ["argo-server 0.1.0"]
    if not VALGRIND:
        assert vm_rss_kb(worker[0]) - base < 4096


def test_anonymous_refused_without_anonymous_read(daemon_factory):
    d = daemon_factory(toolstack="xl", require_toolstack=True,
                       users={"admin": {}},
                       server={"watch_interval": "1",
                               "anonymous_read": "no"})
    assert d.ask("watch") == ["400 NOT AUTHENTICATED"]
    with d.session("admin") as c:
        c.send("watch\n")
        assert c.line() == "200 OK"
        c.send("\n")
        while c.line() != "300 DONE":
            pass
        assert body(c.cmd("whoami")) == ["admin"]


def test_a_stop_ends_the_watch_at_once(daemon_factory):
    d = daemon_factory(toolstack="xl", require_toolstack=True,
                       server={"watch_interval": "1"})
    w = Watch.start(d, names=visible(d))
    t0 = time.monotonic()
    d.stop()
    # 300 DONE, then the close; long before the 10 s a stop gives.
    assert w.next() == "300 DONE"
    assert w.c.closed_within(IO_TIMEOUT)
    assert time.monotonic() - t0 < 5 * SLOW
    d.wait_log(r"session end peer=\S+ user=- reason=shutdown")
    w.close()
