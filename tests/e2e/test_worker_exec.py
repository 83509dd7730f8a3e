"""Workers are their own program (DESIGN.md 5.2), seen from outside: the
master fork+execs argo-worker, found beside its own executable, from a
descriptor it opened at start-up; each worker is a fresh image with its
own address-space layout.  And what happens when that program is not
fit to run: not executable or missing at start-up (the daemon refuses to
start), failing at once (the master throttles), or made unexecutable for
the workers' account after start-up (said, throttled, recovered).

Most faults are made on a copy of the daemon in a temp dir (Daemon's
`binary`), so that the argo-worker beside it can be anything.  What needs
another uid's /proc (exe, maps) skips with a reason when not root; under
a wrapper (valgrind) a process's exe and maps are the wrapper's."""

import errno
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (ARGO_BIN, IO_TIMEOUT, READY_TIMEOUT, SLOW, VERSION,
                      WRAPPER, alive, wait_for)

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root: /proc/PID/exe "
                                "and maps of the workers' account")
root_only = pytest.mark.skipif(not ROOT, reason="needs root: the workers "
                               "then run as another account, one a 0700 "
                               "file shuts out")
no_wrapper = pytest.mark.skipif(bool(WRAPPER), reason="under ARGO_WRAPPER "
                                "(valgrind) every process's exe and maps "
                                "are the wrapper's")

SERVER = os.path.realpath(ARGO_BIN)
WORKER = os.path.join(os.path.dirname(SERVER), "argo-worker")
THROTTLE = r"^worker startup failing -- throttling for 5 s$"


def exe_of(pid):
    """The file PID runs, resolved, or None (gone, or not ours to see)."""
    try:
        return os.path.realpath(os.readlink("/proc/%d/exe" % pid))
    except OSError:
        return None


def comm_of(pid):
    with open("/proc/%d/comm" % pid) as f:
        return f.read().rstrip("\n")


def cmdline_of(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().decode().split("\0")[:-1]


def filtered(pid):
    """True once PID has loaded its seccomp filter: the last step of a
    worker's set-up, long after its exec, name and libraries."""
    try:
        with open("/proc/%d/status" % pid) as f:
            return any(ln.split() == ["Seccomp:", "2"] for ln in f)
    except OSError:
        return False


def set_up_workers(d, n):
    """The workers, once at least N are there and every one is set up (or
    the last list seen: the caller's assertions say what is wrong)."""
    # under valgrind workers load no filter: their number alone then
    wait_for(lambda: len(d.workers()) >= n and
             (WRAPPER or all(filtered(w) for w in d.workers())), IO_TIMEOUT)
    return d.workers()


def layout(pid, program):
    """(start of the first mapping of PROGRAM, of the first of libc) in
    PID's address space; None for one not mapped."""
    first_exe = first_libc = None
    with open("/proc/%d/maps" % pid) as f:
        for ln in f:
            parts = ln.split(None, 5)
            path = parts[5].strip() if len(parts) > 5 else ""
            start = int(parts[0].split("-")[0], 16)
            if first_exe is None and path == program:
                first_exe = start
            if first_libc is None and "libc.so" in os.path.basename(path):
                first_libc = start
    return first_exe, first_libc


def copy_daemon(dirpath, worker=True):
    """A copy of argo-server (and of its argo-worker) in DIRPATH; returns
    the resolved paths of both (the worker's whether copied or not)."""
    dirpath.mkdir()
    shutil.copy2(SERVER, dirpath / "argo-server")
    if worker:
        shutil.copy2(WORKER, dirpath / "argo-worker")
    real = os.path.realpath(dirpath)
    return (os.path.join(real, "argo-server"),
            os.path.join(real, "argo-worker"))


@pytest.fixture
def bindir(tmp_path):
    """Where a copy of the daemon goes: pytest's temp dir, which is root's
    alone (the held descriptor needs no path).  Under valgrind, which has
    no execveat and starts a worker by its path, a directory the workers'
    account can reach."""
    if not WRAPPER:
        yield tmp_path / "sbin"
        return
    top = tempfile.mkdtemp(prefix="argo-worker-exec-")
    os.chmod(top, 0o755)
    try:
        yield Path(top) / "sbin"
    finally:
        shutil.rmtree(top, ignore_errors=True)


def run_to_exit(d):
    """Start D expecting it to fail before ready; its exit status.  A
    daemon that does not exit is left to the factory to stop (and fail)."""
    d.expect_rc = 1
    d.log_fd = open(d.logfile, "ab")
    d.proc = subprocess.Popen(d.argv(), stdin=subprocess.DEVNULL,
                              stdout=d.log_fd, stderr=d.log_fd,
                              cwd=str(d.root))
    try:
        return d.proc.wait(READY_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("the daemon did not exit within %ss:\n%s" %
                    (READY_TIMEOUT, d.log()[-3000:]))


# ------------------------------------------------------------ the programs

@needs_root
@no_wrapper
def test_workers_run_argo_worker(daemon_factory):
    d = daemon_factory(server={"workers": "3"})
    workers = set_up_workers(d, 3)
    assert len(workers) >= 3, workers
    assert exe_of(d.pid) == SERVER
    assert d.broker() is not None
    assert exe_of(d.broker()) == SERVER
    slots = []
    for w in workers:
        assert exe_of(w) == WORKER, (w, os.readlink("/proc/%d/exe" % w))
        assert comm_of(w) == "argo-worker"
        argv = cmdline_of(w)
        assert len(argv) == 3 and argv[0] == "argo-worker", argv
        assert argv[1].isdigit() and argv[2] == str(d.pid), argv
        slots.append(int(argv[1]))
    assert len(set(slots)) == len(slots), slots


def randomized():
    with open("/proc/sys/kernel/randomize_va_space") as f:
        if f.read().strip() != "2":
            return False
    # nor switched off for us (setarch -R), which the daemon would inherit
    with open("/proc/self/personality") as f:
        return not int(f.read(), 16) & 0x0040000      # ADDR_NO_RANDOMIZE


@needs_root
@no_wrapper
def test_every_worker_has_its_own_layout(daemon_factory):
    if not randomized():
        pytest.skip("address space randomization is not full here "
                    "(randomize_va_space != 2, or ADDR_NO_RANDOMIZE)")
    d = daemon_factory(server={"workers": "3"})
    workers = set_up_workers(d, 3)
    assert len(workers) >= 3, workers
    lay = {w: layout(w, WORKER) for w in workers}
    for w, (exe, libc) in lay.items():
        assert exe is not None and libc is not None, (w, lay)
    # three workers, three places for argo-worker, and for libc
    assert len({e for e, _ in lay.values()}) == len(lay), lay
    assert len({c for _, c in lay.values()}) == len(lay), lay

    victim = workers[0]
    mark = d.mark()
    d.allowed_kills.add(victim)
    os.kill(victim, signal.SIGKILL)
    d.wait_log(r"^worker %d killed by signal 9$" % victim, since=mark)
    assert wait_for(lambda: not alive(victim), 3)
    new = wait_for(lambda: [w for w in set_up_workers(d, 3)
                            if w not in lay], IO_TIMEOUT)
    assert new, "no new worker after %d was killed: %s" % (victim,
                                                           d.workers())
    exe, libc = layout(new[0], WORKER)
    assert exe is not None and libc is not None
    assert exe != lay[victim][0], (new[0], hex(exe), lay)
    assert libc != lay[victim][1], (new[0], hex(libc), lay)


# ------------------------------------------------------------------ faults

def test_worker_not_executable_refused(bindir, daemon_factory):
    server, worker = copy_daemon(bindir)
    os.chmod(worker, 0o644)
    d = daemon_factory(start=False, binary=server)
    assert run_to_exit(d) == 1
    text = d.log()
    assert "argo-server: worker program %s: not an executable file (mode "\
        "0644; it must be 0755)" % worker in text.splitlines(), text
    assert not re.search(r"\]: ready ", text), text
    assert not d.pidfile.exists()


def test_worker_dangling_symlink_refused(bindir, daemon_factory):
    server, worker = copy_daemon(bindir, worker=False)
    os.symlink(str(bindir / "nowhere" / "argo-worker"), worker)
    d = daemon_factory(start=False, binary=server)
    assert run_to_exit(d) == 1
    text = d.log()
    # beside it, even broken: never the installed one instead
    assert "argo-server: worker program %s: %s" % (
        worker, os.strerror(errno.ENOENT)) in text.splitlines(), text
    assert not re.search(r"\]: ready ", text), text
    assert not d.pidfile.exists()


def test_worker_failing_at_once_is_throttled(bindir, daemon_factory):
    false = shutil.which("false")
    if false is None:
        pytest.skip("no false(1) to stand in for argo-worker")
    with open(false, "rb") as f:
        if f.read(4) != b"\x7fELF":
            pytest.skip("%s is not an ELF program" % false)
    server, worker = copy_daemon(bindir, worker=False)
    shutil.copy2(false, worker)
    os.chmod(worker, 0o755)
    nworkers = 2
    d = daemon_factory(binary=server, server={"workers": str(nworkers)})
    d.wait_log(THROTTLE)
    seen = time.monotonic()
    text = d.log()
    at = re.search(r"^argo-server\[\d+\]: worker startup failing", text,
                   re.M).start()
    exited = r"^argo-server\[\d+\]: worker \d+ exited with status 1$"
    # three failed starts in a row, and then at once the throttle
    assert len(re.findall(exited, text[:at], re.M)) == 3, text
    # For 4 s of the 5 s throttle (the line was seen just after it was
    # written), no more than the starts under way when it began fail:
    # watched for the whole window, since what is checked is an absence.
    bound = nworkers + 3
    while time.monotonic() < seen + 4:
        after = re.findall(exited, d.log()[at:], re.M)
        assert len(after) <= bound, "%d failed starts while throttled:\n%s" \
            % (len(after), d.log()[at:][-3000:])
        time.sleep(0.1)
    assert not d.grep(r"could not be started"), d.log()[-3000:]
    assert d.stop() == 0
    assert d.grep(r"^stopping$")


@root_only
def test_worker_unexecutable_after_start(bindir, daemon_factory):
    """Made 0700 (root's alone) after start-up: the workers' account can
    no longer execute the held program.  The child says so on the relay,
    the master names the path, throttles; once 0755 again, the pool
    recovers and serves a client who waited meanwhile."""
    server, worker = copy_daemon(bindir)
    d = daemon_factory(binary=server, server={"workers": "1"})
    workers = set_up_workers(d, 1)
    assert len(workers) == 1, workers
    victim = workers[0]
    if not WRAPPER:
        assert exe_of(victim) == worker
    os.chmod(worker, 0o700)
    mark = d.mark()
    d.allowed_kills.add(victim)
    os.kill(victim, signal.SIGKILL)
    d.wait_log(r"^worker %d killed by signal 9$" % victim, since=mark)
    line = d.wait_log(r"^worker \d+ could not be started: cannot execute "
                      r"%s as the workers' account$" % re.escape(worker),
                      since=mark)
    child = int(line.split()[1])
    # the child's own word, relayed under its name and pid (the relay is
    # asynchronous: waited for, not read at once)
    said = re.compile(r"^argo-worker\[%d\]: cannot execute %s: %s$" % (
        child, re.escape(worker), os.strerror(errno.EACCES)), re.M)
    assert wait_for(lambda: said.search(d.log()[mark:]), IO_TIMEOUT), \
        d.log()[mark:]
    d.wait_log(THROTTLE, since=mark)
    os.chmod(worker, 0o755)
    # The only worker is gone: the reply comes from a new one, started
    # once the throttle is over.
    t0 = time.monotonic()
    with d.client(timeout=10 * SLOW) as c:
        assert c.cmd("version") == ["200 OK", "argo-server " + VERSION,
                                    "300 DONE"]
    assert time.monotonic() - t0 < 10 * SLOW
    workers = set_up_workers(d, 1)
    assert workers and victim not in workers, workers
    if not WRAPPER:
        assert all(exe_of(w) == worker for w in workers), workers
