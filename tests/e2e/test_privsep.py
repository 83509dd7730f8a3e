"""Privilege separation (DESIGN.md 5.1), seen from outside: what /proc says
of each process, who runs the toolstack and checks passwords, that no
worker's memory holds a password hash, and what happens when a worker
breaks its filter or its protocol, or the broker dies.

Faults are made from outside with gdb, which (as root) makes a worker
itself call what it must not: a forbidden system call, or a malformed
message on its broker channel.  Root-only checks skip with a reason
elsewhere; under valgrind the workers load no filter (its own build)."""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import (ASAN, IO_TIMEOUT, PASSWORDS, SLOW, VALGRIND, alive,
                      body, ok, wait_for)
from procs import comm

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (privsep drops "
                                "privileges only when started as root)")
needs_filter = pytest.mark.skipif(VALGRIND, reason="the valgrind build loads "
                                  "no seccomp filter")


def status(pid):
    """/proc/PID/status as {key: value}."""
    with open("/proc/%d/status" % pid) as f:
        return dict(ln.rstrip("\n").split(":\t", 1) for ln in f if ":\t" in ln)


def entered(pid):
    """Whether worker PID is past its setup (a worker just forked by the
    master, or respawned, is still root for a moment, then its own account
    with two capabilities until it has entered its cage: it has not read a
    byte from the network yet).  What shows it depends on what applies."""
    try:
        st = status(pid)
    except OSError:
        return False
    if ROOT:
        return st["Uid"].split()[0] != "0" and int(st["CapPrm"], 16) == 0
    return VALGRIND or st["Seccomp"] == "2"


def settled_workers(d):
    """The workers, once every one of them is in its sandbox (or the last
    list seen when one never gets there: the caller's assertions then say
    what is wrong with it)."""
    wait_for(lambda: d.workers() and all(entered(w) for w in d.workers()),
             IO_TIMEOUT)
    return d.workers()


@pytest.fixture
def d(daemon_factory, tmp_path):
    chroot = tmp_path / "empty"
    chroot.mkdir(mode=0o755)
    return daemon_factory(server={"chroot": str(chroot), "workers": "3"},
                          users={"admin": {}, "lim": {"instances": "web1"}},
                          require_toolstack=True)


def test_processes_named(d):
    assert d.broker() is not None
    assert len(d.workers()) >= 3

    def named():
        return all(comm(w) == "argo-worker" for w in d.workers())
    # A worker names itself as it starts (under valgrind that takes a
    # while after the exec).
    assert wait_for(named, IO_TIMEOUT), \
        [comm(w) for w in d.workers()]


@needs_root
def test_worker_status_as_root(d):
    broker = status(d.broker())
    assert broker["Uid"].split() == ["0"] * 4
    for w in settled_workers(d):
        st = status(w)
        uids, gids = st["Uid"].split(), st["Gid"].split()
        assert len(set(uids)) == 1 and uids[0] != "0", st["Uid"]
        assert len(set(gids)) == 1 and gids[0] != "0", st["Gid"]
        assert st["Groups"].strip() == ""
        for cap in ("CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb"):
            assert int(st[cap], 16) == 0, (cap, st[cap])
        # valgrind neither loads the filter nor passes no_new_privs on
        if not VALGRIND:
            assert st["NoNewPrivs"] == "1"
            assert st["Seccomp"] == "2"
        assert os.readlink("/proc/%d/root" % w) == d.server["chroot"]
        # Not dumpable (an exec makes a process dumpable again): no other
        # process of its account may read a session out of its memory.
        # The kernel shows that as /proc/PID/status owned by root.
        assert os.stat("/proc/%d/status" % w).st_uid == 0, "dumpable"


@pytest.mark.skipif(ROOT, reason="the not-root case (as root the workers "
                    "drop to another user)")
def test_worker_status_not_root(d):
    if VALGRIND:
        pytest.skip("valgrind neither loads the filter nor passes "
                    "no_new_privs on")
    for w in settled_workers(d):
        st = status(w)
        assert st["NoNewPrivs"] == "1"
        assert st["Seccomp"] == "2"


def test_toolstack_and_auth_in_the_broker(d):
    """The toolstack runs as the daemon's own user (root in CI) from a
    child of the broker; auth and control are logged by the broker's
    children, never by the session's worker."""
    mark = d.mark()
    with d.session("lim") as c:
        ok(c.cmd("start web1"))
        assert c.cmd("pause web2") == ["400 NO SUCH INSTANCE"]
        ok(c.cmd("pause web1"))
    calls = d.calls()
    assert [c["argv"][1] for c in calls[-2:]] == ["create", "pause"]
    assert all(c["uid"] == os.geteuid() for c in calls)
    workers = set(d.workers())
    for pat in (r"^auth ok peer=127\.0\.0\.1 user=lim$",
                r"^control peer=127\.0\.0\.1 user=lim verb=pause "
                r"instance=web1 rc=0 ms=\d+$"):
        d.wait_log(pat, since=mark)
        pids = [p for p, m in d.messages(mark) if re.search(pat, m)]
        assert pids and not set(pids) & workers and d.pid not in pids


def _readable_regions(pid):
    with open("/proc/%d/maps" % pid) as f:
        for ln in f:
            parts = ln.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            name = parts[5] if len(parts) > 5 else ""
            # The instance map is the broker's, read-only here, and big.
            if parts[1][0] != "r" or name in ("[vvar]", "[vsyscall]") or \
                    "argo-instances" in name:
                continue
            yield lo, hi


def memory_holds(pid, needles):
    """Which of NEEDLES (bytes) appear anywhere in PID's memory."""
    found = set()
    chunk, overlap = 16 << 20, max(len(n) for n in needles)
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for lo, hi in _readable_regions(pid):
            pos = lo
            while pos < hi:
                try:
                    mem.seek(pos)
                    data = mem.read(min(chunk + overlap, hi - pos))
                except OSError:
                    break
                found |= {n for n in needles if n in data}
                pos += chunk
    return found


@needs_root
@pytest.mark.skipif(ASAN, reason="ASan's terabytes of shadow memory make a "
                    "scan of a worker's memory impractical (the plain and "
                    "valgrind runs scan)")
def test_no_password_hash_in_a_worker(d):
    """Not in a worker's heap, freed or not, nor its stack or stdio
    buffers: workers are forked only after the master wiped its copy."""
    hashes = re.findall(r"^password = (\S+)$", d.conf.read_text(), re.M)
    assert len(hashes) == 2
    # the whole hash, and its checksum part alone
    needles = {h.encode() for h in hashes} | \
        {h.rsplit("$", 1)[1].encode() for h in hashes}
    for user in ("admin", "lim"):
        with d.session(user) as c:
            assert c.cmd("whoami")[1] == user
    with d.client() as c:
        assert c.cmd("auth admin wrong-password",
                     timeout=IO_TIMEOUT * 3) == ["400 AUTHENTICATION FAILED"]
    for w in d.workers():
        assert not memory_holds(w, needles), "worker %d holds a hash" % w
    # a reload brings new hashes to the broker, and new workers
    d.users["newbie"] = {}
    d.write_config()
    d.hup()
    new = re.findall(r"^password = (\S+)$", d.conf.read_text(), re.M)
    needles |= {h.encode() for h in new}
    assert wait_for(lambda: d.workers(), 3)
    for w in d.workers() + [d.pid]:
        assert not memory_holds(w, needles), "worker %d holds a hash" % w
    # the broker, which checks them, does hold them
    assert memory_holds(d.broker(), {new[-1].encode()})


def _gdb():
    gdb = shutil.which("gdb")
    if gdb is None:
        pytest.skip("gdb is not installed (tests/deps.sh installs it)")
    if not ROOT:
        pytest.skip("needs root: gdb attaches to a worker of another uid")
    if VALGRIND:
        pytest.skip("gdb cannot make a worker under valgrind call libc")
    return gdb


def make_worker_call(pid, expr):
    """Have worker PID evaluate EXPR (a libc call) through gdb."""
    return subprocess.run([_gdb(), "-p", str(pid), "-batch", "-nx",
                           "-ex", "print (long)%s" % expr],
                          capture_output=True, text=True,
                          timeout=30 * SLOW)


def broker_channel_fd(pid):
    """The worker's SOCK_SEQPACKET socket: its channel to the broker."""
    types = {}
    with open("/proc/net/unix") as f:
        next(f)
        for ln in f:
            parts = ln.split()
            types[parts[6]] = parts[4]
    for fd in os.listdir("/proc/%d/fd" % pid):
        target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m and types.get(m.group(1)) == "0005":
            return int(fd)
    pytest.fail("worker %d has no broker channel" % pid)


@needs_filter
def test_forbidden_call_kills_and_is_logged(d):
    w = settled_workers(d)[0]
    mark = d.mark()
    d.allowed_kills.add(w)
    # socket(AF_INET, SOCK_STREAM, 0) by its number on this machine
    nr = {"x86_64": 41, "aarch64": 198}.get(os.uname().machine)
    if nr is None:
        pytest.skip("no socket() number known for " + os.uname().machine)
    make_worker_call(w, "syscall(%d, 2, 1, 0)" % nr)
    line = d.wait_log(r"^worker %d killed by signal %d: its seccomp filter "
                      r"stopped system call %d \(socket\)$" %
                      (w, signal.SIGSYS, nr), since=mark)
    assert len(d.grep(r"^worker %d " % w, since=mark)) == 1, line
    assert wait_for(lambda: not alive(w), 3)
    # respawned: the pool is whole again and serves
    assert wait_for(lambda: len(d.workers()) >= 3, 5)
    assert body(d.ask("list available"))


@needs_root
def test_malformed_request_gets_the_worker_stopped(d):
    w = settled_workers(d)[0]
    fd = broker_channel_fd(w)
    mark = d.mark()
    d.allowed_kills.add(w)
    make_worker_call(w, 'send(%d, "junk", 4, 0)' % fd)
    d.wait_log(r"^worker %d: malformed request \(short request\); "
               r"stopping it$" % w, since=mark)
    d.wait_log(r"^worker %d killed by signal 9 at the broker's request$" %
               w, since=mark)
    assert wait_for(lambda: len(d.workers()) >= 3, 5)
    with d.session("admin") as c:
        ok(c.cmd("start web1"))


def test_broker_death_stops_the_daemon(d):
    """Never a half-alive server: the master logs it, stops its workers,
    removes the pid file and exits 1."""
    broker, workers = d.broker(), d.workers()
    with d.client() as c:
        assert c.cmd("version")[0] == "200 OK"
        d.allow_log_patterns.append(r"^argo-server\[\d+\]: broker killed "
                                    r"by signal 9: stopping$")
        # Without a broker the master gives sessions 1 s, then kills: a
        # worker whose exit is slow (ASan's leak check, a loaded machine)
        # is killed, as argo-server(8) says.
        d.allow_log_patterns.append(r"^argo-server\[\d+\]: worker \d+ "
                                    r"killed by signal 9$")
        os.kill(broker, signal.SIGKILL)
        d.expect_rc = 1
        assert d.proc.wait(10 * SLOW) == 1
    assert d.grep(r"^broker killed by signal 9: stopping$")
    assert not d.pidfile.exists()
    assert wait_for(lambda: not any(alive(w) for w in workers), 5)


def test_slow_toolstack_delays_no_other_session(d):
    """The broker serves concurrently: a pause that takes 3 s holds up
    neither another session's control command nor a failed login."""
    with d.session("admin") as a, d.session("admin") as b:
        ok(a.cmd("start web1"))
        ok(a.cmd("start web2"))
        d.inject("pause", sleep="3")
        a.send("pause web1\n")
        assert wait_for(lambda: d.fake_procs(), 2 * SLOW)
        t0 = time.monotonic()
        ok(b.cmd("destroy web2"))
        assert b.cmd("list running")[0] == "200 OK"
        assert time.monotonic() - t0 < 1.5 * SLOW
        ok(a.reply(timeout=IO_TIMEOUT * 2))
