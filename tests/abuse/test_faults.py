"""Faults of the host, not of clients: the log device full, a pid file that
cannot be written, xen_dir or its files unreadable or replaced at run time,
the configuration file removed or replaced.  The daemon must say clearly
what is wrong (the file and the reason), keep serving what it can, never
hang or crash, and still stop cleanly (DESIGN 3.1, 4, 5)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import (ARGO_BIN, IO_TIMEOUT, READY_TIMEOUT, SLOW,
                      Client, Closed, Daemon, alive, body, kill_quietly,
                      wait_for)

NAMES = ["db1", "web1", "web2"]
NOBODY = 65534


def env_with_sanitizer_logs(root):
    """The daemon's environment, with sanitizer reports sent to files under
    ROOT (for runs whose stderr goes nowhere)."""
    env = dict(os.environ)
    for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        opts = env.get(var, "")
        env[var] = (opts + ":" if opts else "") + "log_path=%s/%s" % (
            root, var.split("_")[0].lower())
    return env


def sanitizer_reports(root):
    return [p for p in Path(root).iterdir()
            if p.name.startswith(("asan.", "ubsan."))]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def strays(conf):
    """Processes whose command line names CONF (a daemon that should not
    be running)."""
    out = []
    needle = str(conf).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if needle in f.read() and alive(int(d)):
                    out.append(int(d))
        except OSError:
            pass
    return out


def run_once(d, args, timeout=None):
    """Run the daemon to completion (it is expected to fail at start-up);
    returns (rc, stderr).  A daemon that unexpectedly started is stopped
    by pid and the test fails."""
    try:
        r = subprocess.run([ARGO_BIN] + args + ["-c", str(d.conf), "-p",
                                                "0"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout or READY_TIMEOUT,
                           cwd=str(d.root))
    except subprocess.TimeoutExpired:
        for p in strays(d.conf):
            kill_quietly(p)
        pytest.fail("start-up did not fail, it hung")
    left = strays(d.conf)
    for p in left:
        kill_quietly(p)
    assert not left, "a daemon was left running: %s\n%s" % (left, r.stderr)
    return r.returncode, r.stderr


def serving(d, user=None):
    """A fresh session answers version and list available."""
    with d.session(user) as c:
        assert c.cmd("version") == ["200 OK", "argo-server 0.1.0",
                                    "300 DONE"]
        return body(c.cmd("list available"))


# ------------------------------------------------------------- log device


def test_log_device_full(daemon_factory):
    """stderr on /dev/full: every log write fails with ENOSPC.  The daemon
    starts, serves sessions (auth, a failed auth, control commands, a
    toolstack failure, a bad request), reloads on SIGHUP, stops on SIGTERM
    with status 0 and removes its pid file; no worker lost, no hang, no
    sanitizer report."""
    d = daemon_factory(start=False)
    d.write_config()
    port = free_port()
    devfull = open("/dev/full", "wb")
    try:
        d.proc = subprocess.Popen(
            [ARGO_BIN, "-f", "-c", str(d.conf), "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=devfull, stderr=devfull,
            cwd=str(d.root), env=env_with_sanitizer_logs(d.root))
    finally:
        devfull.close()
    d.port = port

    def up():
        if d.proc.poll() is not None:
            return True
        try:
            with Client(port) as c:
                return c.cmd("version")[1] == "argo-server 0.1.0"
        except (OSError, Closed):
            return False

    assert wait_for(up, READY_TIMEOUT, step=0.05)
    assert d.proc.poll() is None, "exited %s" % d.proc.returncode
    assert d.pidfile.read_text().strip() == str(d.pid)
    for _ in range(3):
        with d.session("admin") as c:
            assert body(c.cmd("list available")) == NAMES
            assert c.cmd("start web1") == ["200 OK", "300 DONE"]
            assert c.cmd("start web1")[0].startswith("400 TOOLSTACK FAILED")
            assert c.cmd("destroy web1") == ["200 OK", "300 DONE"]
            assert c.cmd("start nosuch") == ["400 NO SUCH INSTANCE"]
            assert c.cmd("bogus\x01") == ["400 BAD REQUEST"]
            assert c.cmd("status web2")[2] == "config: %s" % (
                d.xen_dir / "web2.cfg")
        with d.client() as c:
            assert c.cmd("auth admin wrong-pw",
                         timeout=IO_TIMEOUT * 2) == [
                "400 AUTHENTICATION FAILED"]
            assert c.cmd("whoami") == ["200 OK", "anonymous", "300 DONE"]
    # A reload is logged too; the new configuration takes effect.
    d.write_config(server={"anonymous_read": "no"})
    os.kill(d.pid, signal.SIGHUP)
    assert wait_for(lambda: d.ask("list available") ==
                    ["400 NOT AUTHENTICATED"], 5 * SLOW)
    assert serving(d, "admin") == NAMES
    assert not d.zombies()
    assert d.stop() == 0
    assert not d.pidfile.exists(), "pid file left behind"
    assert not sanitizer_reports(d.root), [
        p.read_text()[:3000] for p in sanitizer_reports(d.root)]


# ------------------------------------------------------------- pid file


@pytest.mark.parametrize("mode", [["-f"], []], ids=["foreground",
                                                      "detached"])
def test_pidfile_parent_is_a_file(daemon_factory, mode):
    """pidfile = FILE/argo.pid where FILE is a regular file (ENOTDIR even
    for root): start-up fails on the terminal with the path and the
    reason, exit status 1, nothing left running, no ready line."""
    d = daemon_factory(start=False)
    blocker = d.root / "notadir"
    blocker.write_text("a regular file\n")
    pid = blocker / "argo.pid"
    d.write_config(server={"pidfile": str(pid)})
    rc, err = run_once(d, mode)
    assert rc == 1, err
    assert "cannot write pid file %s: Not a directory" % pid in err, err
    assert "ready" not in err
    assert blocker.read_text() == "a regular file\n"


@pytest.fixture
def full_tmpfs(tmp_path):
    """A 64 KiB tmpfs filled to the last byte; skipped where mounting is
    not allowed."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=755",
                        "argo-abuse", str(mnt)], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.strip())
    try:
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            for _ in range(64):
                os.write(fd, b"x" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        try:
            (mnt / "probe").write_bytes(b"x")
            pytest.fail("the tmpfs is not full")
        except OSError as e:
            assert e.errno == 28, e
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True, timeout=30)


def test_pidfile_disk_full(daemon_factory, full_tmpfs):
    """A real ENOSPC writing the pid file (-f): start-up fails with the
    path and the reason, exit status 1, and no empty pid file is left to
    confuse an init script."""
    d = daemon_factory(start=False)
    pid = full_tmpfs / "argo.pid"
    d.write_config(server={"pidfile": str(pid)})
    rc, err = run_once(d, ["-f"])
    assert rc == 1, err
    assert re.search(r"cannot write pid file %s: No space left on device"
                     % re.escape(str(pid)), err), err
    assert not pid.exists(), "an empty pid file was left behind"


def test_pidfile_disk_full_detached(daemon_factory, full_tmpfs):
    """The same when detaching: the parent exits 1 (the service is not
    up) and prints the child's reason on the terminal that started it,
    though the child logs to syslog by then; nothing is left running, no
    pid file is left."""
    d = daemon_factory(start=False)
    pid = full_tmpfs / "argo.pid"
    d.write_config(server={"pidfile": str(pid)})
    rc, err = run_once(d, [])
    assert rc == 1, err
    assert re.search(r"^argo-server: cannot write pid file %s: No space "
                     r"left on device$" % re.escape(str(pid)), err,
                     re.M), err
    assert not pid.exists(), "an empty pid file was left behind"


# ------------------------------------------------------------- xen_dir


def swap(path, make):
    """Move PATH aside (to PATH.saved) and let MAKE put something else
    there; returns the saved path."""
    saved = path.with_name(path.name + ".saved")
    os.rename(path, saved)
    make(path)
    return saved


def restore(path, saved):
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)
    os.rename(saved, path)


def test_xen_dir_replaced_at_runtime(daemon_factory):
    """xen_dir removed, replaced by a regular file, by a dangling symbolic
    link, by a symbolic link loop: `list available` answers with an empty
    list, each distinct problem is logged with the directory and the
    reason, instance commands answer NO SUCH INSTANCE without running the
    toolstack, the daemon stays up; once the directory is back, the
    instances are back."""
    d = daemon_factory()
    x = d.xen_dir
    assert serving(d) == NAMES
    cases = [
        ("removed", lambda p: None, "No such file or directory"),
        ("a regular file", lambda p: p.write_text('name = "web1"\n'),
         "Not a directory"),
        ("a symbolic link loop", lambda p: os.symlink(p.name, p),
         "Too many levels of symbolic links"),
        # same errno as "removed": said once is enough, not asserted
        ("a dangling symbolic link",
         lambda p: os.symlink(str(p) + ".nowhere", p), None),
    ]
    for what, make, reason in cases:
        mark = d.mark()
        saved = swap(x, make)
        try:
            assert serving(d) == [], what
            with d.session("admin") as c:
                assert c.cmd("status web1") == ["400 NO SUCH INSTANCE"], what
                assert c.cmd("start web1") == ["400 NO SUCH INSTANCE"], what
                assert body(c.cmd("list available")) == [], what
            if reason:
                d.wait_log(r"cannot read xen_dir %s: %s$" %
                           (re.escape(str(x)), re.escape(reason)),
                           since=mark)
        finally:
            restore(x, saved)
        assert serving(d) == NAMES, what
    assert not [c for c in d.calls() if c.get("argv", [None])[1:2] ==
                ["create"]], d.calls()
    assert not d.grep("killed by signal|exited with status")


def test_xen_dir_back_seen_by_a_worker_that_saw_it_whole(daemon_factory):
    """Two workers both hold the whole, watched map; xen_dir goes (worker
    A's request publishes the empty map) and comes back (no event: nothing
    watches it then).  Worker B's next request must rescan, not take the
    empty map for the truth because its own copy was watched.  (Before
    the fix only the 1 s recheck brought the names back.)"""
    d = daemon_factory(server={"workers": "2"})
    x = d.xen_dir
    with d.session() as a, d.session() as b:    # two workers, both held
        assert body(a.cmd("list available")) == NAMES
        assert body(b.cmd("list available")) == NAMES
        saved = swap(x, lambda p: os.symlink(str(p) + ".nowhere", p))
        try:
            assert body(a.cmd("list available")) == []
        finally:
            restore(x, saved)
        assert body(b.cmd("list available")) == NAMES


def test_xen_dir_odd_entries(daemon_factory):
    """*.cfg entries that are a FIFO (no writer), a directory, a dangling
    link, a link loop, a link to a FIFO, plus a non-.cfg FIFO: the rest
    are listed at once (no hang on the FIFOs), each odd .cfg is logged
    with its path and reason, the scan goes on."""
    d = daemon_factory()
    x = d.xen_dir
    mark = d.mark()
    os.mkfifo(x / "fifo.cfg")
    os.mkfifo(x / "other-fifo")
    (x / "dir.cfg").mkdir()
    (x / "dir.cfg" / "inner.cfg").write_text('name = "inner"\n')
    os.symlink("nowhere.cfg", x / "dangling.cfg")
    os.symlink("loop.cfg", x / "loop.cfg")
    os.symlink("other-fifo", x / "tofifo.cfg")
    t0 = time.monotonic()
    assert serving(d) == NAMES
    took = time.monotonic() - t0
    for name, reason in [("fifo.cfg", "not a regular file"),
                         ("dir.cfg", "not a regular file"),
                         ("dangling.cfg", "dangling symbolic link"),
                         ("loop.cfg", "symbolic link loop"),
                         ("tofifo.cfg", "not a regular file")]:
        d.wait_log(r"skipping %s: %s$" % (re.escape(str(x / name)),
                                          reason), since=mark)
    assert not d.grep(r"other-fifo|inner", since=mark)
    print("\nlist available with odd entries: %.1f ms" % (took * 1000))
    with d.session("admin") as c:
        assert c.cmd("start fifo")[0] == "400 NO SUCH INSTANCE"


# ------------------------------------------------------------- config file


def test_config_file_gone_or_odd_then_hup(daemon_factory):
    """The configuration file removed, replaced by a directory, by a FIFO
    (no writer: the master must not block), made group-writable, or
    replaced by a symbolic link to /dev/zero, then SIGHUP: `reload failed:
    FILE: reason` each time, the old configuration stays in force (its
    account and xen_dir), service goes on; a valid file afterwards is
    loaded again."""
    d = daemon_factory()
    conf = d.conf
    text = conf.read_text()

    def group_writable(p):
        p.write_text(text)
        os.chmod(p, 0o660)

    cases = [
        (lambda p: None, "No such file or directory"),
        (lambda p: p.mkdir(), "not a regular file"),
        (lambda p: os.mkfifo(p), "not a regular file"),
        (group_writable, "must not be writable by group or others"),
        (lambda p: os.symlink("/dev/zero", p), "not a regular file"),
    ]
    for make, reason in cases:
        os.unlink(conf)
        make(conf)
        try:
            ok, msg = d.hup(timeout=5 * SLOW)
            assert not ok, msg
            assert msg.startswith("reload failed: %s: " % conf), msg
            assert reason in msg, msg
            assert serving(d, "admin") == NAMES
            assert serving(d) == NAMES
        finally:
            if conf.is_dir() and not conf.is_symlink():
                conf.rmdir()
            elif conf.exists() or conf.is_symlink():
                conf.unlink()
            d.write_config(text)
    d.write_config(server={"anonymous_read": "no"})
    assert d.hup_ok()
    assert d.ask("list available") == ["400 NOT AUTHENTICATED"]
    assert serving(d, "admin") == NAMES


def test_config_removed_then_sigterm(daemon_factory):
    """The configuration file removed at run time: the daemon goes on,
    and SIGTERM still stops it at once with status 0, its workers gone,
    the pid file removed and `stopped` logged."""
    d = daemon_factory()
    assert d.pidfile.read_text().strip() == str(d.pid)
    os.unlink(d.conf)
    assert serving(d, "admin") == NAMES
    kids = d.workers()
    assert kids
    t0 = time.monotonic()
    assert d.stop() == 0
    print("\nstopped in %.1f ms" % ((time.monotonic() - t0) * 1000))
    assert not any(alive(k) for k in kids)
    assert not d.pidfile.exists()
    assert d.grep(r"^stopped$")


# ------------------------------------------------------------- real EACCES


@pytest.fixture
def nobody_daemon(daemon_factory):
    """A daemon run as uid/gid 65534 through setpriv, in a directory of
    its own under /tmp (pytest's temp dirs are closed to others)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    if os.geteuid() != 0:
        pytest.skip("needs root: chown and setpriv to uid %d" % NOBODY)
    root = tempfile.mkdtemp(prefix="argo-nobody-", dir="/tmp")
    d = None
    try:
        d = Daemon(root)
        d.prefix = [setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY,
                    "--clear-groups"]
        # Its programs where nobody may reach them: the master opens
        # argo-worker by its path (a build tree may be in root's home).
        progs = os.path.join(root, "sbin")
        os.mkdir(progs)
        for name in ("argo-server", "argo-worker"):
            shutil.copy2(os.path.join(os.path.dirname(ARGO_BIN), name),
                         progs)
        d.binary = os.path.join(progs, "argo-server")
        daemon_factory.daemons.append(d)
        d.write_config()
        for dirpath, dirs, files in os.walk(root):
            for n in dirs + files + [""]:
                os.lchown(os.path.join(dirpath, n), NOBODY, NOBODY)
        os.chmod(root, 0o755)
        d.start(write=False)
        yield d
        # The log goes with the directory: check it here, not in the
        # factory's teardown.
        d.stop()
        d.check()
    finally:
        if d is not None:
            d.stopped = True
            d.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_unreadable_as_nobody(nobody_daemon):
    """With real permission errors (the daemon runs as nobody): a .cfg it
    cannot read is skipped and logged with EACCES while the rest are
    listed; xen_dir itself unreadable gives an empty list and a logged
    `cannot read xen_dir DIR: Permission denied`; the configuration file
    unreadable makes SIGHUP log `reload failed: FILE: Permission denied`
    and keep the old configuration; SIGTERM still stops it cleanly and
    removes the pid file."""
    d = nobody_daemon
    x = d.xen_dir
    mark = d.mark()
    secret = x / "secret.cfg"
    secret.write_text('name = "secret"\n')
    os.chmod(secret, 0o600)          # root's, unreadable for nobody
    assert serving(d) == NAMES
    d.wait_log(r"skipping %s: Permission denied$" % re.escape(str(secret)),
               since=mark)

    mark = d.mark()
    os.chmod(x, 0)
    try:
        assert serving(d) == []
        d.wait_log(r"cannot read xen_dir %s: Permission denied$" %
                   re.escape(str(x)), since=mark)
    finally:
        os.chmod(x, 0o755)
    # The first request after: a worker that last saw the watched map
    # must not take the empty one another worker's request published
    # meanwhile for the truth (worker_map.c).
    assert serving(d) == NAMES

    os.chown(d.conf, 0, 0)           # mode 600, now root's
    ok, msg = d.hup(timeout=5 * SLOW)
    assert not ok and msg == "reload failed: %s: Permission denied" % (
        d.conf), msg
    assert serving(d, "admin") == NAMES
    assert d.stop() == 0
    assert not d.pidfile.exists()
