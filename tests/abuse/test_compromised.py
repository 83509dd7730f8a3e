"""A compromised worker: what it writes, root believes only for counting.

These tests play a worker an attacker owns.  As root they write into a live
worker's scoreboard through /proc/PID/mem (the board is one shared mapping,
so a write there is what any worker could do), and send on a worker's own
log relay socket, taken with pidfd_getfd(2).  The daemon runs in a pid
namespace of its own (unshare --pid --fork), so that even a master that
still believed the board could reach nothing outside it with kill(-1, ...).

Root only (ptrace-level access to the worker, namespaces); elsewhere they
skip with the reason.
"""

import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (IO_TIMEOUT, READY_TIMEOUT, REPO, SLOW, Daemon, alive,
                      children_of, kill_quietly, wait_for)

ROOT = os.geteuid() == 0
pytestmark = pytest.mark.skipif(not ROOT, reason="needs root: writes into "
                                "a worker's memory and uses a pid namespace")

SYS_PIDFD_GETFD = 438      # x86-64 and every 64-bit arch with the new table
libc = ctypes.CDLL(None, use_errno=True)


def board_layout(tmp):
    """Offsets of the scoreboard, from src/common/board.h itself."""
    exe = Path(tmp) / "board_layout"
    cflags = subprocess.run(["pkg-config", "--cflags", "inih"],
                            capture_output=True, text=True).stdout.split()
    r = subprocess.run(["cc", "-D_GNU_SOURCE", "-I",
                        str(REPO / "src/common")] +
                       cflags + ["-o", str(exe),
                                 str(REPO / "tests/abuse/board_layout.c")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(subprocess.run([str(exe)], capture_output=True,
                                     text=True, check=True).stdout)


def board_address(pid, size):
    """Start of the shared, writable mapping of the board's memfd."""
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if parts[1] == "rw-s" and "/memfd:argo-board" in line and \
                    hi - lo >= size and hi - lo < size + 4096:
                return lo
    raise AssertionError("no scoreboard mapping in worker %d" % pid)


def inner_pid(pid):
    """PID as its own (innermost) pid namespace numbers it."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    raise AssertionError("no NSpid for %d" % pid)


class NsDaemon(Daemon):
    """The daemon as pid 1 of a pid namespace of its own."""

    def __init__(self, root, **kw):
        super().__init__(root, **kw)
        self.prefix = ["unshare", "--pid", "--fork", "--kill-child"]
        self._master = None

    @property
    def pid(self):
        if self._master is None:
            kids = wait_for(lambda: children_of(self.proc.pid), READY_TIMEOUT)
            assert len(kids) == 1, kids
            self._master = kids[0]
        return self._master

    def stop(self, timeout=None):
        """SIGTERM to the master (unshare exits with it)."""
        if self.proc.poll() is not None:
            self.rc = self.proc.returncode
            return self.rc
        os.kill(self.pid, signal.SIGTERM)
        self.rc = self.proc.wait(timeout or 15 * SLOW)
        return self.rc


@pytest.fixture
def nsd(tmp_path):
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed")
    d = NsDaemon(tmp_path / "argo", server={"workers": "2",
                                            "max_clients": "8"})
    d.start()
    yield d
    try:
        if d.proc.poll() is None:
            d.stop()
        d.check()
    finally:
        if d.proc.poll() is None:
            d.kill()
        for pid in d.extra_pids:
            kill_quietly(pid)
        if d.log_fd:
            d.log_fd.close()


def victim_in(ns_pid):
    """A sleep in the daemon's pid namespace: (outer pid, inner pid)."""
    p = subprocess.Popen(["nsenter", "--target", str(ns_pid), "--pid",
                          "sleep", "300"], stdin=subprocess.DEVNULL)
    sleeper = wait_for(lambda: children_of(p.pid), IO_TIMEOUT)
    assert sleeper, "nsenter started no sleep"
    return p, sleeper[0], inner_pid(sleeper[0])


def test_forged_board_moves_no_signal(nsd, tmp_path):
    lay = board_layout(tmp_path)
    workers = wait_for(lambda: nsd.workers() if len(nsd.workers()) == 2
                       else None, READY_TIMEOUT)
    assert workers, "no 2 workers"
    nsp, victim, vinner = victim_in(nsd.pid)
    nsd.extra_pids += [victim, nsp.pid]
    w = workers[0]
    base = board_address(w, lay["board_size"])

    def slot(i, field):
        return base + lay["slots"] + i * lay["slot_size"] + lay[field]

    forged = 0
    with open("/proc/%d/mem" % w, "r+b", buffering=0) as mem:
        for i in range(lay["nslots"]):
            mem.seek(slot(i, "s_pid"))
            pid = int.from_bytes(mem.read(4), "little", signed=True)
            # Every slot says: an idle worker, the victim (one says -1).
            mem.seek(slot(i, "s_pid"))
            mem.write((-1 if i == 5 else vinner).to_bytes(4, "little",
                                                          signed=True))
            mem.seek(slot(i, "s_state"))
            mem.write(lay["idle"].to_bytes(4, "little"))
            forged += pid == 0
    assert forged > 8

    def victim_alive():
        return alive(victim)

    # The master's tick retires surplus idle workers every second; a
    # master that believed the board would have signalled the victim in
    # the first one.  Three ticks of watching.
    end = time.monotonic() + 3 * SLOW
    while time.monotonic() < end:
        assert victim_alive(), "the master signalled a pid from the board"
        time.sleep(0.05)
    # A reload signals every worker before it says it is done.
    mark = nsd.mark()
    os.kill(nsd.pid, signal.SIGHUP)
    nsd.wait_log(r"^reload: .* loaded$", since=mark)
    assert not wait_for(lambda: not victim_alive(), 0.5), \
        "the reload signalled a pid from the board"
    # Still serving, with at most max_clients + 1 workers.
    with nsd.client() as c:
        assert c.cmd("version")[0] == "200 OK"
    assert len(nsd.workers()) <= 9
    # And a stop completes within its grace, fake slots or not.
    t0 = time.monotonic()
    rc = nsd.stop(timeout=(10 + 5) * SLOW)
    assert rc == 0
    assert time.monotonic() - t0 < 10 + 2 * SLOW
    nsd.stopped = True
    # pid 1 of the namespace is gone, so is everything in it: the victim
    # outlived nothing but must not have died of the master's signal.
    nsp.wait(timeout=IO_TIMEOUT)
    assert nsp.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL, 137) \
        or nsp.returncode != -signal.SIGUSR1, nsp.returncode


def relay_of(worker):
    """A copy of WORKER's log relay socket (its stderr, once it is set up:
    a worker just forked still has the master's)."""
    def relay_ready():
        try:
            return os.readlink("/proc/%d/fd/2" % worker).startswith("socket:")
        except OSError:
            return False
    assert wait_for(relay_ready, READY_TIMEOUT), "worker %d set up no relay" \
        % worker
    return socket.socket(fileno=steal_fd(worker, 2))


def steal_fd(pid, fd):
    """A copy of PID's descriptor FD, as a worker holds it."""
    pidfd = os.pidfd_open(pid)
    try:
        got = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
        if got < 0:
            pytest.skip("pidfd_getfd: %s" % os.strerror(ctypes.get_errno()))
    finally:
        os.close(pidfd)
    return got


@pytest.fixture
def rd(daemon_factory):
    """A daemon in our own pid namespace: the relay names our pid."""
    return daemon_factory(server={"workers": "1"})


def test_relay_filters_a_forging_worker(rd):
    nsd = rd
    w = wait_for(lambda: nsd.workers(), READY_TIMEOUT)[0]
    s = relay_of(w)
    me = os.getpid()
    mark = nsd.mark()
    with s:
        s.send(b"0emergency from a worker")
        s.send(b"6first\nargo-server[1]: auth ok peer=192.0.2.1 user=admin"
               b"\r\ncolour \x1b[31mred\x07")
        s.send(b"7debug from a worker")
        s.send(b"6" + b"L" * 5000)
        s.send(b"6end of the forged lines")
    nsd.wait_log(r"^end of the forged lines$", since=mark)
    log = nsd.log()[mark:]
    lines = log.splitlines()
    # Every line it sent is under its sender's real pid, as argo-worker.
    assert "argo-worker[%d]: emergency from a worker" % me in lines
    assert "argo-worker[%d]: first" % me in lines
    assert ("argo-worker[%d]: argo-server[1]: auth ok peer=192.0.2.1 "
            "user=admin" % me) in lines
    assert not any(ln.startswith("argo-server[1]:") for ln in lines)
    assert not any("auth ok" in ln and not ln.startswith("argo-worker[")
                   for ln in lines)
    # Control bytes are sanitised, debug dropped without -d, lines cut.
    assert "argo-worker[%d]: colour ?[31mred?" % me in lines
    assert "debug from a worker" not in log
    longest = max(len(ln) for ln in lines)
    assert longest < 1100, longest


def test_relay_rate_limits_a_flood(rd):
    nsd = rd
    w = wait_for(lambda: nsd.workers(), READY_TIMEOUT)[0]
    s = relay_of(w)
    me = os.getpid()
    mark = nsd.mark()
    sent = 30000
    with s:
        batch = b"6" + b"\n".join(b"flood %d" % i for i in range(60))
        for _ in range(sent // 60):
            s.send(batch)
        s.send(b"6flood done")
    nsd.wait_log(r"^worker %d floods the log: \d+ lines dropped" % me,
                 since=mark, timeout=IO_TIMEOUT * 2)
    got = [m for p, m in nsd.messages(mark) if p == me and
           m.startswith("flood ")]
    assert len(got) < sent
    # The daemon goes on serving.
    with nsd.client() as c:
        assert c.cmd("version")[0] == "200 OK"


class SyslogSink:
    """A stand-in for /dev/log while none exists (as tests/deb does)."""

    def __init__(self, path="/dev/log"):
        self.path = path
        self.lines = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.settimeout(0.1)
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                self.lines.append(self.sock.recv(8192).decode(
                    "utf-8", "replace"))
            except (socket.timeout, InterruptedError):
                continue
            except OSError:
                return

    def wait(self, pattern, timeout):
        rx = re.compile(pattern)
        got = wait_for(lambda: [ln for ln in list(self.lines)
                                if rx.search(ln)], timeout)
        assert got, "no syslog line /%s/; got:\n%s" % (
            pattern, "\n".join(self.lines[-30:]))
        return got

    def close(self):
        self.stop = True
        self.t.join(timeout=2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except OSError:
            pass


def test_relay_priority_at_most_err_in_syslog(tmp_path):
    """Detached, the master relays to syslog: a worker's LOG_EMERG goes out
    as LOG_ERR (daemon facility: <27>), under the tag argo-worker[PID]; and
    a worker started by a master with a syslog socket serves."""
    if os.path.lexists("/dev/log"):
        pytest.skip("/dev/log exists (a syslog daemon runs): its lines "
                    "cannot be read here")
    sink = SyslogSink()
    d = Daemon(tmp_path / "argo", server={"workers": "1"})
    d.write_config()
    master = None
    try:
        r = subprocess.run([str(Path(os.environ.get("ARGO_BIN") or REPO /
                                     "build/plain/argo-server")),
                            "-c", str(d.conf), "-p", "0"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=READY_TIMEOUT)
        assert r.returncode == 0, r.stderr
        ready = sink.wait(r"argo-server\[\d+\]: ready listen=127\.0\.0\.1:"
                          r"(\d+) ", READY_TIMEOUT)
        port = int(re.search(r"listen=127\.0\.0\.1:(\d+) ",
                             ready[0]).group(1))
        master = int(d.pidfile.read_text())
        # Detached, a worker is started while the master holds syslog's
        # socket: it must still get every descriptor right and serve.
        with socket.create_connection(("127.0.0.1", port),
                                      timeout=IO_TIMEOUT) as c:
            c.sendall(b"list available\r\n")
            got = b""
            while b"300 DONE" not in got:
                chunk = c.recv(4096)
                assert chunk, "closed: %r" % got
                got += chunk
            assert got.startswith(b"200 OK"), got
        sink.wait(r"argo-worker\[\d+\]: session start peer=127\.0\.0\.1",
                  IO_TIMEOUT)
        # Its descriptors are the ones src/common/handoff.h lays out, none
        # taken by the master's closing of syslog's socket: the broker
        # channel (5), the wake-up pipe (6), the change signal (8), the
        # stop pipe (9), the listener (10).
        for wp in [p for p in children_of(master)
                   if Path("/proc/%d/comm" % p).read_text().strip()
                   == "argo-worker"]:
            fds = {}
            for n in os.listdir("/proc/%d/fd" % wp):
                try:
                    fds[int(n)] = os.readlink("/proc/%d/fd/%s" % (wp, n))
                except OSError:
                    pass
            want = {5: "socket:", 6: "pipe:", 8: "anon_inode:", 9: "pipe:",
                    10: "socket:"}
            for fd, kind in want.items():
                assert fds.get(fd, "").startswith(kind), (wp, fd, fds)
        w = wait_for(lambda: [p for p in children_of(master)
                              if Path("/proc/%d/comm" % p).read_text()
                              .strip() == "argo-worker"], READY_TIMEOUT)
        assert w, "no worker"
        me = os.getpid()
        with relay_of(w[0]) as s:
            s.send(b"0emergency claimed")
            s.send(b"2critical claimed")
            s.send(b"4warning claimed")
        got = sink.wait(r"argo-worker\[%d\]: warning claimed" % me,
                        IO_TIMEOUT)
        assert got[0].startswith("<28>"), got      # daemon.warning
        for text in ("emergency claimed", "critical claimed"):
            got = sink.wait(r"argo-worker\[%d\]: %s" % (me, text), IO_TIMEOUT)
            assert got[0].startswith("<27>"), got  # daemon.err, no higher
        # The master's own lines keep their name.
        assert not any(re.search(r"argo-server\[%d\]: (emergency|critical)"
                                 % me, ln) for ln in sink.lines)
    finally:
        if master is not None and alive(master):
            os.kill(master, signal.SIGTERM)
            if not wait_for(lambda: not alive(master), 15 * SLOW):
                kill_quietly(master)
        sink.close()


def notify_of(d, worker):
    """A copy of WORKER's end of the pipe that wakes the master (the other
    pipe both hold is the stop pipe, whose write end only the master
    has: the one whose end the worker holds at HFD_NOTIFY, 6)."""
    def pipes(pid):
        out = {}
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("pipe:"):
                out[link] = int(fd)
        return out
    shared = set(pipes(worker)) & set(pipes(d.pid))
    notify = [link for link in shared if pipes(worker)[link] == 6]
    assert len(notify) == 1, (shared, pipes(worker))
    return steal_fd(worker, 6)


def test_wakeups_without_end_leave_the_master_its_loop(rd):
    """A worker that writes to the wake-up pipe, or floods its relay,
    without end: the master still reloads."""
    d = rd
    w = wait_for(lambda: d.workers(), READY_TIMEOUT)[0]
    nfd = notify_of(d, w)
    relay = relay_of(w)
    # Blocking writers that refill the moment the master reads a byte.
    floods = [subprocess.Popen(["cat", "/dev/zero"], stdout=nfd),
              subprocess.Popen(["yes", "6wake-up"], stdout=relay.fileno())]
    os.close(nfd)
    relay.close()
    try:
        mark = d.mark()
        os.kill(d.pid, signal.SIGHUP)
        d.wait_log(r"^reload: .* loaded$", since=mark,
                   timeout=IO_TIMEOUT * 2)
        d.wait_log(r"^worker %d floods the log" % floods[1].pid, since=mark)
    finally:
        for p in floods:
            p.kill()
            p.wait()
