"""Harness for the argo client's tests: real argo-server daemons on
loopback addresses (127.0.0.2-127.0.0.9, one kernel-picked port each),
servers of the tests' own (fakeserver.py), and the client run as a
subprocess.  Runnable alone: `pytest tests/client`.

Environment:
  ARGO_CLIENT          the client (default: build/plain/argo of this tree)
  ARGO_BIN             the daemon (default: build/plain/argo-server)
  ARGO_CLIENT_WRAPPER  words put before the client (valgrind ...)

Every daemon is stopped by its pid (SIGTERM, then SIGKILL for anything of
it left), never by name; every fake server is closed by the test.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests" / "lib"))
sys.path.insert(0, str(HERE))
from procs import alive, children_of, kill_quietly, wait_for  # noqa: E402

CLIENT = os.environ.get("ARGO_CLIENT") or str(REPO / "build/plain/argo")
ARGO_BIN = os.environ.get("ARGO_BIN") or str(REPO / "build/plain/argo-server")
WRAPPER = shlex.split(os.environ.get("ARGO_CLIENT_WRAPPER", ""))
VALGRIND = any("valgrind" in w for w in WRAPPER)
ASAN = "asan" in CLIENT
# The client is slower under valgrind; bounds scale, behaviour does not.
SLOW = 8.0 if VALGRIND else (2.0 if ASAN else 1.0)
FAKE_INSTALL = REPO / "tests/fake-xen/install.sh"
VERSION = "0.1.0"

PASSWORD = "Cl1ent-pw-8rT-secret"
WRONG = "Wr0ng-pw-3eW-secret"
FLEET_ADDRS = ["127.0.0.%d" % i for i in range(2, 10)]


def client_argv(*args):
    return WRAPPER + [CLIENT] + [str(a) for a in args]


def run(*args, env=None, input=None, timeout=60, password=None,
        password_file=None):
    """Run the client; returns CompletedProcess (text).  The password goes
    through the environment only; a sanitizer or valgrind report fails."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("ARGO_PASSWORD")}
    if password is not None:
        e["ARGO_PASSWORD"] = password
    if password_file is not None:
        e["ARGO_PASSWORD_FILE"] = str(password_file)
    e.update(env or {})
    # No terminal: a password prompt must fail, not hang on /dev/tty.
    r = subprocess.run(client_argv(*args), input=input, capture_output=True,
                       text=True, timeout=timeout * SLOW, env=e,
                       start_new_session=True)
    check_clean(r.returncode, r.stderr)
    return r


def check_clean(rc, stderr):
    assert rc != 99, "valgrind reported errors:\n" + stderr
    for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                "==ERROR", "Invalid read", "Invalid write"):
        assert bad not in stderr, stderr


def lines(text):
    return text.splitlines()


def free_port(addr):
    """A port nothing listens on at ADDR (bound once, then closed)."""
    s = socket.socket()
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def make_hash(password, _cache={}):
    if password not in _cache:
        r = subprocess.run([ARGO_BIN, "-H"], input=password + "\n",
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        _cache[password] = r.stdout.strip()
    return _cache[password]


class Daemon:
    """One `argo-server -f` on ADDR, its own xen_dir (web1, db1 and
    only-N, N the address's last byte), simulated xl and chroot."""

    def __init__(self, root, addr, users=True, allow=None, cfgs=None,
                 socket=None):
        self.root = Path(root)
        self.addr = addr
        self.root.mkdir(parents=True, exist_ok=True)
        xen = self.root / "xen"
        xen.mkdir(exist_ok=True)
        empty = self.root / "empty"
        empty.mkdir(exist_ok=True)
        os.chmod(empty, 0o755)
        self.last = addr.rsplit(".", 1)[-1].replace(":", "")
        self.only = "only-%s" % self.last
        names = cfgs or ["web1", "db1", self.only]
        for n in names:
            (xen / ("%s.cfg" % n)).write_text('name = "%s"\nmemory = 64\n'
                                              % n)
        self.state = self.root / "state"
        r = subprocess.run(["sh", str(FAKE_INSTALL), str(self.root / "bin"),
                            str(self.state)], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        self.xl = self.root / "bin" / "xl"
        conf = ["[server]", "listen = %s" % addr, "workers = 1",
                "xen_dir = %s" % xen, "toolstack = %s" % self.xl,
                "toolstack_timeout = 10", "chroot = %s" % empty,
                "pidfile = %s" % (self.root / "argo.pid")]
        if socket:
            # The local socket (DESIGN.md 8); our uid is admin on it.
            conf += ["socket = %s" % socket, "socket_mode = 0600"]
        if allow:
            conf += ["[allow]"] + ["client = %s" % a for a in allow]
        if users:
            conf += ["[user admin]", "password = %s" % make_hash(PASSWORD)]
            if socket:
                conf += ["unix_users = %d" % os.getuid()]
            conf += ["[user ro]", "password = %s" % make_hash(PASSWORD),
                     "readonly = yes"]
        self.conf = self.root / "argo.conf"
        self.conf.write_text("\n".join(conf) + "\n")
        os.chmod(self.conf, 0o600)
        self.logfile = self.root / "daemon.log"
        self.proc = None
        self.port = None

    def spawn(self):
        self.log_fd = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [ARGO_BIN, "-f", "-c", str(self.conf), "-p", "0"],
            stdin=subprocess.DEVNULL, stdout=self.log_fd, stderr=self.log_fd,
            cwd=str(self.root))
        return self

    def wait_ready(self, timeout=15):
        pat = re.compile(r"ready listen=\S+:(\d+)")
        deadline = time.monotonic() + timeout
        while True:
            m = pat.search(self.log())
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("daemon on %s not ready:\n%s" % (self.addr,
                                                             self.log()))
            time.sleep(0.02)

    @property
    def spec(self):
        return ("[%s]:%d" if ":" in self.addr else "%s:%d") % (self.addr,
                                                                self.port)

    def log(self):
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def xl_run(self, *args):
        e = dict(os.environ, ARGO_E2E_DIRECT="1")
        return subprocess.run([str(self.xl)] + list(args), env=e,
                              capture_output=True, text=True, timeout=30)

    def start_guest(self, name):
        r = self.xl_run("create", str(self.root / "xen" / ("%s.cfg" % name)))
        assert r.returncode == 0, r.stderr

    def inject(self, verb, **files):
        d = self.state / "inject"
        d.mkdir(exist_ok=True)
        for k, v in files.items():
            (d / ("%s.%s" % (verb, k))).write_text(str(v))

    def clear_inject(self):
        d = self.state / "inject"
        if d.is_dir():
            for p in d.iterdir():
                p.unlink()

    def stop(self):
        """SIGTERM by pid, bounded wait, SIGKILL for what is left."""
        if self.proc is None:
            return None
        kids = children_of(self.proc.pid)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for k in kids:
            if not wait_for(lambda k=k: not alive(k), 5):
                kill_quietly(k)
        self.log_fd.close()
        rc, self.proc = self.proc.returncode, None
        return rc


def start_daemons(tmp_factory, addrs, **kw):
    ds = [Daemon(tmp_factory.mktemp("argo-%s" % a.replace(":", "_")), a,
                 **kw).spawn() for a in addrs]
    for d in ds:
        d.wait_ready()
    return ds


def stop_daemons(ds):
    bad = []
    for d in ds:
        rc = d.stop()
        if rc not in (0, None):
            bad.append("%s: exit %s\n%s" % (d.addr, rc, d.log()[-2000:]))
        for word in ("AddressSanitizer", "runtime error", PASSWORD, WRONG):
            if word in d.log():
                bad.append("%s: %r in the daemon log" % (d.addr, word))
    assert not bad, "\n".join(bad)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Eight daemons, 127.0.0.2 to 127.0.0.9, shared by a module."""
    ds = start_daemons(tmp_path_factory, FLEET_ADDRS)
    yield ds
    stop_daemons(ds)


@pytest.fixture
def fake(request):
    """fake(addr, behaviour) -> a started FakeServer, stopped after."""
    from fakeserver import FakeServer
    made = []

    def make(addr, behaviour):
        s = FakeServer(addr, behaviour)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def expect(script, *args, env=None, timeout=120):
    """Run tests/client/SCRIPT under expect (a real terminal for the
    client); returns (CompletedProcess, the client's exit status or None
    when the script printed no EXIT line)."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("ARGO_PASSWORD")}
    e.update(env or {})
    r = subprocess.run(["expect", "-f", str(HERE / script)] +
                       [str(a) for a in args], capture_output=True,
                       text=True, timeout=timeout * SLOW, env=e)
    m = re.search(r"^EXIT (-?\d+)\s*$", r.stdout, re.M)
    rc = int(m.group(1)) if m else None
    check_clean(rc, r.stdout)
    return r, rc
