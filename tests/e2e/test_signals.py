"""The master's signals: SIGHUP reload (good and bad), SIGTERM/SIGINT,
a worker killed with SIGKILL, the master killed (DESIGN section 5)."""

import os
import signal
import socket
import time

import pytest

from conftest import (IO_TIMEOUT, PASSWORDS, SLOW, STOP_TIMEOUT, VALGRIND,
                      VERSION, alive, body, ok, wait_for)
from procs import kill_quietly


def test_sighup_good_new_sessions_use_it(daemon_factory):
    d = daemon_factory(users={"admin": {}})
    with d.client() as old:
        assert body(old.cmd("list available"))
        d.write_config(server={"anonymous_read": "no"},
                       users={"admin": {}, "newbie": {}})
        msg = d.hup()
        assert msg == "reload: %s loaded" % d.conf
        # every new session (whatever worker takes it) uses the new file
        for _ in range(6):
            with d.client() as c:
                assert c.cmd("list available") == ["400 NOT AUTHENTICATED"]
        with d.session("newbie") as c:
            assert c.cmd("whoami")[1] == "newbie"
            assert "web1" in body(c.cmd("list available"))
        # the session opened before finishes on the old configuration
        assert "web1" in body(old.cmd("list available"))
        assert old.cmd("auth newbie " + PASSWORDS["newbie"],
                       timeout=IO_TIMEOUT * 3) == ["400 AUTHENTICATION FAILED"]


def _cpu_hog(cpu, seconds):
    """A SCHED_FIFO busy loop pinned to CPU: ordinary processes pinned
    there get no CPU meanwhile.  Returns (pid, ready pipe fd)."""
    if os.geteuid() != 0:
        pytest.skip("needs root: SCHED_FIFO for the CPU hog")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.sched_setaffinity(0, {cpu})
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            os.write(w, b"x")
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                pass
        finally:
            os._exit(0)
    os.close(w)
    return pid, r


@pytest.mark.skipif(VALGRIND, reason="needs native scheduling")
def test_sighup_new_session_after_reload_on_slow_worker(daemon_factory):
    """Deterministic form of a race seen under load: the idle workers are
    starved of CPU (pinned under a SCHED_FIFO hog) across the reload."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs")
    cpus = sorted(os.sched_getaffinity(0))
    main_cpu, slow_cpu = cpus[0], cpus[1]
    d = daemon_factory(server={"workers": "2"})
    assert wait_for(d.settled, 3)
    mine = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {main_cpu})
        os.sched_setaffinity(d.pid, {main_cpu})
        old = d.workers()
        for w in old:
            os.sched_setaffinity(w, {slow_cpu})
        d.write_config(server={"anonymous_read": "no"})
        hog, ready = _cpu_hog(slow_cpu, 0.7)
        try:
            assert os.read(ready, 1) == b"x"
            d.hup(settle=False)
            c = d.client()
            c.send("list available\n")
        finally:
            os.waitpid(hog, 0)
            os.close(ready)
        with c:
            r = c.reply()
    finally:
        os.sched_setaffinity(0, mine)
    assert r == ["400 NOT AUTHENTICATED"], r


def test_sighup_removed_user_keeps_running_session(daemon_factory):
    d = daemon_factory(users={"admin": {}, "ro": {"readonly": "yes"}})
    with d.session("admin") as old:
        d.write_config(users={"ro": {"readonly": "yes"}})
        d.hup()
        assert old.cmd("whoami") == ["200 OK", "admin", "300 DONE"]
        with d.client() as c:
            assert c.cmd("auth admin " + PASSWORDS["admin"],
                         timeout=IO_TIMEOUT * 3) == \
                ["400 AUTHENTICATION FAILED"]


def test_sighup_xen_dir_change(daemon_factory, tmp_path):
    d = daemon_factory()
    other = tmp_path / "otherxen"
    other.mkdir()
    (other / "z.cfg").write_text('name = "zeta"\n')
    d.write_config(server={"xen_dir": str(other)})
    d.hup()
    assert d.ask("list available") == ["200 OK", "zeta", "300 DONE"]


def test_sighup_bad_keeps_old(daemon_factory):
    d = daemon_factory(users={"admin": {}})
    text = d.config_text(server={"anonymous_read": "no"})
    lines = text.splitlines()
    lines.insert(3, "no_such_key = 1")
    d.write_config("\n".join(lines) + "\n")
    msg = d.hup()
    assert msg.startswith("reload failed: %s:4: " % d.conf), msg
    assert "no_such_key" in msg
    for _ in range(4):
        assert "web1" in body(d.ask("list available"))
    # plain-text password: also refused, the secret not logged
    d.write_config(d.config_text(extra="[user bob]\npassword = %s\n" %
                                 PASSWORDS["newbie"]))
    msg = d.hup()
    assert msg.startswith("reload failed: %s:" % d.conf), msg
    # group-writable: refused too
    d.write_config(server={"anonymous_read": "no"})
    os.chmod(d.conf, 0o660)
    msg = d.hup()
    assert msg.startswith("reload failed: %s" % d.conf), msg
    assert "web1" in body(d.ask("list available"))
    # fixed: the next SIGHUP takes it
    os.chmod(d.conf, 0o600)
    assert d.hup() == "reload: %s loaded" % d.conf
    assert d.ask("list available") == ["400 NOT AUTHENTICATED"]


def test_sighup_port_change_keeps_sockets(daemon_factory):
    d = daemon_factory()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        other = s.getsockname()[1]
    d.write_config(server={"port": str(other), "listen": "127.0.0.2"})
    mark = d.mark()
    d.hup()
    d.wait_log(r"restart", since=mark)
    assert d.ask("version")[1] == "argo-server " + VERSION


def test_sigterm_removes_pidfile_exit_0(daemon_factory):
    d = daemon_factory()
    assert d.pidfile.read_text().strip() == str(d.pid)
    assert d.ask("version")[0] == "200 OK"
    mark = d.mark()
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0
    assert time.monotonic() - t0 < 5 * SLOW
    assert not d.pidfile.exists()
    msgs = [m for _, m in d.messages(mark)]
    assert "stopping" in msgs and msgs[-1] == "stopped", msgs
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", d.port), timeout=2).close()


def test_sigint_like_sigterm(daemon_factory):
    d = daemon_factory()
    assert d.stop(signal.SIGINT) == 0
    assert not d.pidfile.exists()


def test_sigterm_lets_a_session_finish(daemon_factory):
    d = daemon_factory()
    c = d.client()
    try:
        assert c.cmd("whoami")[1] == "anonymous"
        os.kill(d.pid, signal.SIGTERM)
        d.wait_log(r"^stopping$")
        # the running session is still served, then ends normally
        assert c.cmd("version")[1] == "argo-server " + VERSION
        # no new session is served meanwhile (once the idle workers had
        # the CPU: see test_sigterm_no_new_session_on_slow_worker)
        wait_for(d.settled, 3)
        try:
            with d.client(timeout=1) as n:
                n.send("version\n")
                assert n.line(timeout=1) != "200 OK"
        except (OSError, Exception) as e:
            assert not isinstance(e, AssertionError), e
        assert c.cmd("quit") == ["200 OK", "300 BYE"]
    finally:
        c.close()
    t0 = time.monotonic()
    assert d.stop() == 0
    assert time.monotonic() - t0 < 3 * SLOW
    assert not d.pidfile.exists()


@pytest.mark.skipif(VALGRIND, reason="needs native scheduling")
def test_sigterm_no_new_session_on_slow_worker(daemon_factory):
    """Deterministic form of a race: the idle workers are starved of CPU
    (pinned under a SCHED_FIFO hog) across SIGTERM."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two CPUs")
    cpus = sorted(os.sched_getaffinity(0))
    main_cpu, slow_cpu = cpus[0], cpus[1]
    d = daemon_factory(server={"workers": "2"})
    assert wait_for(d.settled, 3)
    mine = os.sched_getaffinity(0)
    c = None
    try:
        os.sched_setaffinity(0, {main_cpu})
        os.sched_setaffinity(d.pid, {main_cpu})
        for w in d.workers():
            os.sched_setaffinity(w, {slow_cpu})
        hog, ready = _cpu_hog(slow_cpu, 0.7)
        try:
            assert os.read(ready, 1) == b"x"
            mark = d.mark()
            os.kill(d.pid, signal.SIGTERM)
            d.wait_log(r"^stopping$", since=mark)
            try:
                c = d.client(timeout=3)
                c.send("version\n")
            except OSError:
                c = None            # refused: what we want
        finally:
            os.waitpid(hog, 0)
            os.close(ready)
    finally:
        os.sched_setaffinity(0, mine)
    if c is not None:
        with c:
            try:
                got = c.line(timeout=3)
            except Exception:
                got = None
        assert got != "200 OK", "a new session was served after stopping"
    assert d.stop() == 0


@pytest.mark.slow
def test_sigterm_closes_an_idle_session_in_bounded_time(daemon_factory):
    d = daemon_factory()
    mark = d.mark()
    with d.client() as c:
        assert c.cmd("whoami")[1] == "anonymous"
        t0 = time.monotonic()
        os.kill(d.pid, signal.SIGTERM)
        data = c.read_all(timeout=14)
        took = time.monotonic() - t0
    assert data in (b"", b"400 TIMEOUT\n"), data
    assert took < 12.5, took
    assert d.stop(timeout=5) == 0
    assert not d.pidfile.exists()
    assert d.grep(r"^session end peer=127\.0\.0\.1 user=- "
                  r"reason=shutdown requests=1$", since=mark)


def _session_worker(d, mark):
    pid_msg = wait_for(lambda: [p for p, m in d.messages(mark)
                                if m.startswith("session start ")], IO_TIMEOUT)
    assert pid_msg, d.log()[mark:]
    return pid_msg[0]


def test_worker_sigkill_service_goes_on(daemon_factory):
    d = daemon_factory(server={"workers": "2"})
    mark = d.mark()
    c = d.client()
    try:
        assert c.cmd("whoami")[1] == "anonymous"
        wpid = _session_worker(d, mark)
        assert wpid != d.pid and wpid in d.workers()
        d.allowed_kills.add(wpid)
        os.kill(wpid, signal.SIGKILL)
        assert c.closed_within()
    finally:
        c.close()
    d.wait_log(r"^worker %d killed by signal 9$" % wpid, since=mark)
    for _ in range(5):
        assert d.ask("version")[1] == "argo-server " + VERSION
    # every worker killed at once: respawned, still answering
    kids = d.workers()
    assert kids
    d.allowed_kills.update(kids)
    for k in kids:
        kill_quietly(k)     # one may have retired since the listing
    for k in kids:
        wait_for(lambda: not alive(k), 3)
    assert wait_for(lambda: _answers(d), IO_TIMEOUT * 2)
    assert wait_for(lambda: len(d.workers()) >= 2, IO_TIMEOUT)


def _answers(d):
    try:
        return d.ask("version")[1] == "argo-server " + VERSION
    except Exception:
        return False


def test_master_sigkill_takes_workers_along(daemon_factory):
    d = daemon_factory()
    kids = d.workers()
    assert kids
    d.expect_rc = -signal.SIGKILL
    os.kill(d.pid, signal.SIGKILL)
    d.proc.wait(10)
    gone = wait_for(lambda: not any(alive(k) for k in kids), 5 * SLOW)
    for k in kids:
        if alive(k):
            os.kill(k, signal.SIGKILL)
    assert gone, "workers outlived a killed master"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", d.port), timeout=2).close()
