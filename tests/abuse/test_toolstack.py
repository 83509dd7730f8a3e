"""A misbehaving toolstack: hanging, crashing, writing megabytes, leaving
a background child that keeps the descriptors it inherited.  The client
gets its reply in bounded time, no zombie remains, the worker goes on
serving (the same session, then new ones)."""

import os
import re
import signal
import time

import pytest

from conftest import (FAKE_XEN, SLOW, alive, body, children_of, wait_for,
                      zombies_of, all_procs)

TIMEOUT = 1     # toolstack_timeout in these tests


def no_leftovers(d, worker):
    """No zombie under the daemon, no toolstack process alive, the worker
    that ran it still alive and idle-able."""
    assert wait_for(lambda: not d.zombies(), 2 * SLOW), d.zombies()
    assert wait_for(lambda: not d.tool_procs(), 3 * SLOW), d.tool_procs()
    assert alive(worker), "the worker died"
    assert worker in d.workers()


def timed(c, text, limit):
    t0 = time.monotonic()
    r = c.cmd(text, timeout=limit + 5 * SLOW)
    took = time.monotonic() - t0
    assert took < limit, "%s took %.2f s" % (text, took)
    return r, took


def session_worker(d, mark):
    return d.wait_log(r"session start peer=127\.0\.0\.1$", since=mark)[-1][0]


@pytest.fixture
def d(daemon_factory):
    return daemon_factory(server={"toolstack_timeout": str(TIMEOUT),
                                  "workers": "2"})


def test_toolstack_hangs(d):
    """create sleeps 30 s: TOOLSTACK TIMEOUT after toolstack_timeout, the
    child and its group killed and reaped; other clients served meanwhile;
    the same session goes on; a hanging `list` (running, status) too."""
    d.inject("create", sleep="30")
    d.inject("list", sleep="30")
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        t0 = time.monotonic()
        c.send("start web1\n")
        time.sleep(0.3)
        # the hang ties up this worker only
        assert d.ask("version")[1] == "argo-server 0.1.0"
        assert time.monotonic() - t0 < TIMEOUT
        assert c.reply(timeout=TIMEOUT + 5 * SLOW) == \
            ["400 TOOLSTACK TIMEOUT"]
        took = time.monotonic() - t0
        print("\nhanging toolstack: TOOLSTACK TIMEOUT after %.2f s" % took)
        assert TIMEOUT - 0.05 <= took < TIMEOUT + 1.0 * SLOW
        no_leftovers(d, w)
        for cmd in ("list running", "status web1"):
            r, took = timed(c, cmd, TIMEOUT + 1.0 * SLOW)
            assert r == ["400 TOOLSTACK TIMEOUT"], (cmd, r)
            print("hanging toolstack: %s -> %s after %.2f s" % (cmd, r[0],
                                                                took))
        assert c.cmd("whoami") == ["200 OK", "admin", "300 DONE"]
        no_leftovers(d, w)
    d.wait_log(r"control peer=127\.0\.0\.1 user=admin verb=create "
               r"instance=web1 rc=timeout ms=\d+")
    d.clear_inject()
    with d.session("admin") as c:
        r, _ = timed(c, "start web1", 5 * SLOW)
        assert r[0] == "200 OK", r


def test_toolstack_ignores_sigterm(d, tmp_path):
    """A toolstack that ignores SIGTERM (and a child of it that does too)
    is killed after the grace period; nothing survives."""
    tool = d.bindir / "stubborn"
    pids = d.root / "stubborn.pids"
    tool.write_text("#!/bin/sh\n"
                    "trap '' TERM\n"
                    "sh -c \"trap '' TERM; echo \\$\\$ >> %s; "
                    "exec sleep 30\" &\n"
                    "echo $$ >> %s\n"
                    "wait\n" % (pids, pids))
    tool.chmod(0o755)
    d.server["toolstack"] = str(tool)
    d.write_config()
    d.stop()
    d.start()
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        r, took = timed(c, "pause web1", TIMEOUT + 2 + 1.5 * SLOW)
        assert r == ["400 TOOLSTACK TIMEOUT"]
        print("\nSIGTERM-proof toolstack: TOOLSTACK TIMEOUT after %.2f s" %
              took)
        left = [int(p) for p in pids.read_text().split()]
        d.extra_pids += left
        assert len(left) == 2
        assert wait_for(lambda: not any(alive(p) for p in left), 2 * SLOW), \
            [p for p in left if alive(p)]
        assert not d.zombies()
        assert c.cmd("whoami")[1] == "admin"
        assert alive(w)


@pytest.mark.parametrize("sig", ["SIGSEGV", "SIGABRT", "SIGKILL"])
def test_toolstack_crashes(d, sig):
    """The toolstack dies of a signal: TOOLSTACK FAILED names it, the
    audit line says rc=signal-N, no worker is harmed."""
    num = getattr(signal, sig)
    d.inject("pause", rc=sig)
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        r, took = timed(c, "pause web1", 3 * SLOW)
        assert r == ["400 TOOLSTACK FAILED: killed by signal %d" % num], r
        no_leftovers(d, w)
        assert c.cmd("version")[1] == "argo-server 0.1.0"
    d.wait_log(r"control .* verb=pause instance=web1 rc=signal-%d " % num)


def test_toolstack_writes_megabytes(d):
    """8 MB on stdout (exit 0) and 8 MB on stderr (exit 1): the reply and
    the log stay bounded, the child is never blocked on a full pipe, the
    session goes on."""
    line = b"y" * 79 + b"\n"
    d.inject("pause", stdout=line * ((8 << 20) // 80), rc="0")
    d.inject("unpause", stderr=b"first line of the error\n" +
             line * ((8 << 20) // 80), rc="1")
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        r, took = timed(c, "pause web1", 5 * SLOW)
        assert r[0] == "200 OK" and r[-1] == "300 DONE", r[:3]
        size = sum(len(ln) + 1 for ln in r[1:-1])
        print("\n8 MB on stdout: reply of %d bytes in %.2f s" % (size, took))
        assert 1000 < size <= 70000
        assert all(ln == "y" * 79 for ln in r[1:-2]), r[-3:]
        print("  last body lines: %r" % r[-3:-1])
        r, took = timed(c, "unpause web1", 5 * SLOW)
        assert r == ["400 TOOLSTACK FAILED: first line of the error"], r
        print("8 MB on stderr: %s in %.2f s" % (r[0], took))
        no_leftovers(d, w)
        assert c.cmd("whoami")[1] == "admin"
    grew = len(d.log()) - mark
    print("log grew by %d bytes" % grew)
    assert grew < 200 * 1024


def test_wrapper_leaves_child_holding_stdout(d):
    """A careless wrapper script backgrounds a process that keeps its
    stdout and stderr (the pipes to the worker) for 30 s: the reply comes
    once the script has exited and the pipes stay quiet, not after 30 s."""
    tool = d.bindir / "careless"
    pids = d.root / "careless.pids"
    tool.write_text("#!/bin/sh\n"
                    "sleep 30 &\n"
                    "echo $! >> %s\n"
                    "echo \"ran $1 $2\"\n"
                    "exit 0\n" % pids)
    tool.chmod(0o755)
    d.server["toolstack"] = str(tool)
    d.write_config()
    d.stop()
    d.start()
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        for verb, arg in (("pause", "web1"), ("start", None),
                          ("destroy", "web2")):
            r, took = timed(c, "%s %s" % (verb, arg or "web1"),
                            1.5 + 1.0 * SLOW)
            want = arg or str(d.xen_dir / "web1.cfg")
            verb = "create" if verb == "start" else verb
            assert r == ["200 OK", "ran %s %s" % (verb, want), "300 DONE"], r
            print("\nbackground child holding stdout: %s answered in "
                  "%.2f s" % (verb, took))
        left = [int(p) for p in pids.read_text().split()]
        d.extra_pids += left
        assert len(left) == 3 and all(alive(p) for p in left)
        assert not d.zombies()
        assert alive(w)
        assert c.cmd("version")[1] == "argo-server 0.1.0"
    for p in left:
        os.kill(p, signal.SIGKILL)


def test_xl_monitor_keeps_stdin(d):
    """The simulated `xl create` with FAKE_XEN_MONITOR=1 leaves a daemonised
    monitor that keeps the stdin it inherited, as the real one does: the
    reply is not delayed, and the monitor holds nothing of the daemon's
    (no socket, stdin is /dev/null)."""
    tool = d.bindir / "xl-monitor"
    tool.write_text("#!/bin/sh\n"
                    "FAKE_XEN_MONITOR=1 FAKE_XEN_TOOL=xl "
                    "FAKE_XEN_STATE_DIR=%s\n"
                    "export FAKE_XEN_MONITOR FAKE_XEN_TOOL FAKE_XEN_STATE_DIR\n"
                    "exec %s \"$@\"\n" % (d.state, FAKE_XEN))
    tool.chmod(0o755)
    d.server["toolstack"] = str(tool)
    d.write_config()
    d.stop()
    d.start()
    mark = d.mark()
    with d.session("admin") as c:
        w = session_worker(d, mark)
        r, took = timed(c, "start web1", 3 * SLOW)
        assert r == ["200 OK", "300 DONE"], r
        print("\nxl create leaving a monitor: answered in %.2f s" % took)
        logf = d.state / "log" / "xl-web1.log"
        assert wait_for(lambda: logf.exists() and "pid" in logf.read_text(),
                        3 * SLOW)
        mon = int(re.search(r"\[pid (\d+)\]", logf.read_text()).group(1))
        d.extra_pids.append(mon)
        assert alive(mon)
        fds = {}
        for fd in os.listdir("/proc/%d/fd" % mon):
            try:
                fds[int(fd)] = os.readlink("/proc/%d/fd/%s" % (mon, fd))
            except OSError:
                pass
        print("monitor %d descriptors: %s" % (mon, fds))
        assert fds.get(0) == "/dev/null"
        assert not [t for t in fds.values() if t.startswith("socket:")]
        assert not d.zombies()
        assert alive(w)
        r, took = timed(c, "list running", 3 * SLOW)
        assert body(r)[0].startswith("web1 id=")
        r, took = timed(c, "destroy web1", 3 * SLOW)
        assert r == ["200 OK", "300 DONE"]
        # the monitor goes with its domain
        assert wait_for(lambda: not alive(mon), 3 * SLOW)
        no_leftovers(d, w)


def test_toolstack_missing_or_unusable(daemon_factory):
    """A toolstack path that does not exist, a directory, a group-writable
    file: TOOLSTACK FAILED (or an error reply), in bounded time, no
    crash."""
    d = daemon_factory(toolstack=None)
    with d.session("admin") as c:
        r, _ = timed(c, "pause web1", 3 * SLOW)
        assert r[0].startswith("400 TOOLSTACK FAILED"), r
    for bad in ("dir", "gw"):
        p = d.bindir / bad
        d.bindir.mkdir(exist_ok=True)
        if bad == "dir":
            p.mkdir()
        else:
            p.write_text("#!/bin/sh\nexit 0\n")
            p.chmod(0o775)
        d.server["toolstack"] = str(p)
        d.write_config()
        ok, msg = d.hup()
        print("\ntoolstack %s: %s" % (bad, msg))
        if not ok:
            continue        # refused at reload: a clear error too
        with d.session("admin") as c:
            r, _ = timed(c, "pause web1", 3 * SLOW)
            assert r[0].startswith("400 TOOLSTACK FAILED"), (bad, r)
            print("toolstack %s: %s" % (bad, r[0]))
    assert not d.zombies()
