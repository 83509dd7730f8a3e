"""The command line: -V, -h, -t, -H, -p precedence, start-up errors,
detaching (DESIGN section 4.1)."""

import os
import re
import signal
import socket
import subprocess
import time
import warnings

import pytest

from conftest import (ARGO_BIN, WRAPPER, VERSION, READY_TIMEOUT, STOP_TIMEOUT,
                      Client, alive, make_hash, wait_for, PASSWORDS)


def run(*args, input=None, timeout=30, wrap=False):
    argv = (WRAPPER if wrap else []) + [ARGO_BIN] + list(args)
    return subprocess.run(argv, input=input, capture_output=True, text=True,
                          timeout=timeout)


def write_conf(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_version():
    r = run("-V")
    assert (r.returncode, r.stdout, r.stderr) == (0, "argo-server %s\n" %
                                                  VERSION, "")


def test_help_mentions_every_option():
    r = run("-h")
    assert r.returncode == 0
    out = r.stdout + r.stderr
    for opt in ("-f", "-d", "-c FILE", "-p PORT", "-t", "-H", "-V", "-h"):
        assert opt in out, opt


def test_unknown_option_fails():
    r = run("-Z")
    assert r.returncode != 0
    assert r.stdout == ""
    assert "usage" in r.stderr.lower()


def test_t_good(tmp_path):
    conf = write_conf(tmp_path / "good.conf",
                      "[server]\nlisten = 127.0.0.1\nworkers = 2\n"
                      "xen_dir = %s\n[allow]\nclient = 127.0.0.1\n"
                      "client = 10.1.0.0/16\nclient = ::1\n"
                      "[user bob]\npassword = %s\ninstances = web1 db1\n"
                      "readonly = yes\n" % (tmp_path, make_hash("x")))
    r = run("-t", "-c", conf, wrap=True)
    assert (r.returncode, r.stdout) == (0, "%s: configuration OK\n" % conf)
    assert r.stderr == ""


BAD = [
    # (name, text, line, words that must appear after FILE:LINE:)
    ("unknown_key", "[server]\nworkers = 2\nfoo = 1\n", 3, ["foo"]),
    ("unknown_section", "[server]\nworkers = 2\n[bogus]\nx = 1\n", 3,
     ["bogus"]),
    ("unknown_section_no_keys", "[server]\n\n\n[nope]\n", 4, ["nope"]),
    ("plain_password", "[server]\n[user bob]\npassword = hunter2\n", 3,
     ["password"]),
    ("bad_number", "[server]\nworkers = abc\n", 2, ["workers"]),
    ("number_trailing_junk", "[server]\nidle_timeout = 30s\n", 2,
     ["idle_timeout"]),
    ("out_of_range_low", "[server]\nmax_clients = 0\n", 2, ["max_clients"]),
    ("out_of_range_high", "[server]\nmax_per_host = 1025\n", 2,
     ["max_per_host"]),
    ("negative", "[server]\nlogin_timeout = -1\n", 2, ["login_timeout"]),
    ("port_too_big", "[server]\nport = 65536\n", 2, ["port"]),
    ("duplicate_key", "[server]\nworkers = 2\n\nworkers = 3\n", 4,
     ["workers"]),
    ("bad_cidr", "[allow]\nclient = 10.0.0.0/33\n", 2, ["client"]),
    ("bad_address", "[allow]\nclient = 256.1.1.1\n", 2, ["client"]),
    ("host_name_listen", "[server]\nlisten = localhost\n", 2, ["listen"]),
    ("relative_xen_dir", "[server]\nxen_dir = etc/xen\n", 2, ["xen_dir"]),
    ("relative_toolstack", "[server]\ntoolstack = xl\n", 2, ["toolstack"]),
    ("bad_bool", "[server]\nanonymous_read = maybe\n", 2, ["anonymous_read"]),
    ("bad_user_key", "[user bob]\npassword = $y$j9T$abc$def\nshell = sh\n",
     3, ["shell"]),
    ("bad_readonly", "[user bob]\npassword = $y$j9T$abc$def\nreadonly = 2\n",
     3, ["readonly"]),
    ("bad_user_name", "[user bad/name]\npassword = $y$j9T$abc$def\n", 1,
     []),
]


@pytest.mark.parametrize("name,text,line,words", BAD, ids=[b[0] for b in BAD])
def test_t_bad(tmp_path, name, text, line, words):
    conf = write_conf(tmp_path / ("%s.conf" % name), text)
    r = run("-t", "-c", conf)
    assert r.returncode == 1, r
    assert r.stdout == ""
    first = r.stderr.splitlines()[0]
    assert first.startswith("%s:%d: " % (conf, line)), r.stderr
    for w in words:
        assert w in first, (w, first)
    assert "hunter2" not in r.stderr


def test_t_group_writable_refused(tmp_path):
    conf = write_conf(tmp_path / "gw.conf", "[server]\n", mode=0o620)
    r = run("-t", "-c", conf)
    assert r.returncode == 1
    assert conf in r.stderr
    conf = write_conf(tmp_path / "ww.conf", "[server]\n", mode=0o602)
    r = run("-t", "-c", conf)
    assert r.returncode == 1
    assert conf in r.stderr


def test_t_missing_file(tmp_path):
    r = run("-t", "-c", str(tmp_path / "absent.conf"))
    assert r.returncode == 1
    assert str(tmp_path / "absent.conf") in r.stderr


def test_start_with_bad_config_fails_with_line(tmp_path):
    pid = tmp_path / "p.pid"
    conf = write_conf(tmp_path / "bad.conf",
                      "[server]\nlisten = 127.0.0.1\npidfile = %s\n"
                      "wrokers = 2\n" % pid)
    r = run("-f", "-c", conf, "-p", "0", wrap=True, timeout=READY_TIMEOUT)
    assert r.returncode == 1
    assert r.stderr.splitlines()[0].startswith("%s:4: " % conf), r.stderr
    assert "]: ready " not in r.stderr
    assert not pid.exists()


def test_port_option_overrides_file(daemon_factory):
    # the file names a port we hold; -p 0 must win
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        held = s.getsockname()[1]
        d = daemon_factory(server={"port": str(held)})
        assert d.port != held
        assert d.ask("version")[1] == "argo-server " + VERSION


def test_bind_failure_names_address_and_port(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        held = s.getsockname()[1]
        conf = write_conf(tmp_path / "c.conf",
                          "[server]\nlisten = 127.0.0.1\npidfile = %s\n"
                          "xen_dir = %s\n" % (tmp_path / "p.pid", tmp_path))
        r = run("-f", "-c", conf, "-p", str(held), wrap=True,
                timeout=READY_TIMEOUT)
    assert r.returncode != 0
    assert "]: ready " not in r.stderr
    assert "127.0.0.1" in r.stderr and str(held) in r.stderr, r.stderr


def test_H_hash_verifies(tmp_path):
    pw = PASSWORDS["newbie"]
    r = run("-H", input=pw + "\n")
    assert r.returncode == 0, r.stderr
    h = r.stdout.strip()
    assert r.stdout == h + "\n"
    assert h.startswith("$y$")
    assert pw not in r.stdout + r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
        except ImportError:
            crypt = None
    if crypt is not None:
        assert crypt.crypt(pw, h) == h
        assert crypt.crypt(pw + "x", h) != h
    # no newline at the end of the input is the same password
    r2 = run("-H", input=pw)
    assert r2.returncode == 0
    h2 = r2.stdout.strip()
    assert h2.startswith("$y$") and h2 != h   # a fresh salt each time
    if crypt is not None:
        assert crypt.crypt(pw, h2) == h2


@pytest.mark.parametrize("args", [("-H",), ("-V",), ("-h",)])
def test_lost_stdout_fails(args):
    """What -H, -V and -h print is their whole product: written to a full
    device it is lost, and the exit status must say so."""
    with open("/dev/full", "w") as full:
        r = subprocess.run([ARGO_BIN] + list(args), input="secret\n",
                           stdout=full, stderr=subprocess.PIPE, text=True,
                           timeout=30)
    assert r.returncode == 1, r.stderr
    assert "standard output: No space left on device" in r.stderr
    assert "secret" not in r.stderr


def test_H_hash_accepted_by_auth(daemon_factory):
    # make_hash() is `argo-server -H`: an account using it logs in
    d = daemon_factory(users={"newbie": {}})
    with d.session("newbie") as c:
        assert c.cmd("whoami") == ["200 OK", "newbie", "300 DONE"]


def test_debug_option(daemon_factory):
    d = daemon_factory(start=False)
    d.start("-d")
    mark = d.mark()
    assert d.ask("version")[1] == "argo-server " + VERSION
    d.wait_log(r"^session end ", since=mark)
    assert d.stop() == 0


def test_pidfile_written_before_ready(daemon_factory):
    d = daemon_factory()
    assert d.pidfile.read_text().strip() == str(d.pid)
    assert d.stop() == 0
    assert not d.pidfile.exists()


def test_detached_mode(tmp_path):
    """Without -f: the parent returns once ready, the pid file names the
    daemon, which serves; SIGTERM (by the pid from the file) ends it."""
    pidf = tmp_path / "argo.pid"
    (tmp_path / "xen").mkdir()
    (tmp_path / "xen" / "a.cfg").write_text('name = "alpha"\n')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = write_conf(tmp_path / "d.conf",
                      "[server]\nlisten = 127.0.0.1\nworkers = 1\n"
                      "pidfile = %s\nxen_dir = %s\n" % (pidf, tmp_path / "xen"))
    # files, not pipes: a detached valgrind keeps its copy of stderr
    out = open(tmp_path / "start.log", "wb")
    pid = None
    try:
        p = subprocess.Popen(WRAPPER + [ARGO_BIN, "-c", conf, "-p", str(port)],
                             stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        try:
            rc = p.wait(READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise
        assert wait_for(pidf.exists, 5)
        pid = int(pidf.read_text().strip())
        assert rc == 0, (tmp_path / "start.log").read_text()
        assert alive(pid)
        with open("/proc/%d/status" % pid) as f:
            st = f.read()
        with Client(port) as c:
            assert c.cmd("list available") == ["200 OK", "alpha", "300 DONE"]
        # detached: its own session, cwd /, stdin /dev/null, not our child
        assert os.getsid(pid) == pid
        assert os.readlink("/proc/%d/cwd" % pid) == "/"
        assert os.readlink("/proc/%d/fd/0" % pid) == "/dev/null"
        assert "PPid:\t%d\n" % os.getpid() not in st
    finally:
        out.close()
        if pid is None and pidf.exists():
            pid = int(pidf.read_text().strip())
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGTERM)
    assert wait_for(lambda: not alive(pid), STOP_TIMEOUT), "still running"
    assert wait_for(lambda: not pidf.exists(), 5)
    log = (tmp_path / "start.log").read_text()
    assert not re.search(r"^==\d+== ", log, re.M), log
    assert "AddressSanitizer" not in log and "runtime error" not in log


def start_refused(tmp_path, pidf):
    """Start with pid file PIDF: it must fail at once, naming the path."""
    conf = write_conf(tmp_path / "c.conf",
                      "[server]\nlisten = 127.0.0.1\npidfile = %s\n"
                      "xen_dir = %s\n" % (pidf, tmp_path))
    # a blocking open would hang here until the timeout: no fixed wait
    r = run("-f", "-c", conf, "-p", "0", wrap=True, timeout=READY_TIMEOUT)
    assert r.returncode == 1, r.stderr
    assert "]: ready " not in r.stderr
    assert "argo-server: cannot write pid file %s: " % pidf in r.stderr, \
        r.stderr
    return r.stderr


def test_pidfile_fifo_refused_at_once(tmp_path):
    """Issue 17: a FIFO at the pid file's path blocked root's start."""
    pidf = tmp_path / "fifo.pid"
    os.mkfifo(pidf)
    assert "not a regular file" in start_refused(tmp_path, pidf)
    # with a reader the open succeeds: refused all the same, nothing sent
    rd = os.open(pidf, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert "not a regular file" in start_refused(tmp_path, pidf)
        assert os.read(rd, 64) == b""
    finally:
        os.close(rd)


def test_pidfile_symlink_refused_target_untouched(tmp_path):
    """Issue 17: a symbolic link at the pid file's path aimed root's
    write (and truncation) at its target."""
    target = tmp_path / "precious"
    target.write_text("do not touch\n")
    os.utime(target, ns=(1, 10**9))
    pidf = tmp_path / "link.pid"
    os.symlink(target, pidf)
    assert "symbolic link" in start_refused(tmp_path, pidf)
    assert target.read_text() == "do not touch\n"
    assert os.stat(target).st_mtime_ns == 10**9
    assert os.path.islink(pidf)


def test_pidfile_hard_link_refused(tmp_path):
    """A regular file, but another name's too: not root's to truncate."""
    target = tmp_path / "precious"
    target.write_text("do not touch\n")
    pidf = tmp_path / "hard.pid"
    os.link(target, pidf)
    assert "hard links" in start_refused(tmp_path, pidf)
    assert target.read_text() == "do not touch\n"


def test_stale_pidfile_reused(daemon_factory):
    """A pid file left by a crash (longer than ours) is a regular file:
    the start goes on and the file holds exactly the new pid."""
    d = daemon_factory(start=False)
    d.pidfile.write_text("4194303\nleft over by a crash\n")
    d.start()
    assert d.pidfile.read_text() == "%d\n" % d.pid
    assert d.stop() == 0
    assert not d.pidfile.exists()
