"""Harness for argo-server's abuse tests: floods, kills and faults.

Self-contained (standard library plus pytest), loopback only.  Every daemon
runs `argo-server -f -c CONF -p 0` in its own temp dir (config mode 600,
xen_dir, pid file, log), its port is read from the `ready` line, and every
process is stopped by pid.  Teardown fails a test whose daemon logged a
sanitizer report or an unexpected `worker N killed by signal` line, left a
zombie behind, or did not stop cleanly.

Environment:
  ARGO_BIN      the daemon (default: build/plain/argo-server of this tree)
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

LIB = str(Path(__file__).resolve().parents[1] / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)
# The shared line client; Closed is imported from here by the tests.
from argoclient import Closed, LineClient  # noqa: E402,F401
from procs import (alive, all_procs, broker_of,  # noqa: E402,F401
                   children_of, kill_quietly, stat_fields, wait_for,
                   workers_of, zombies_of)

REPO = Path(__file__).resolve().parents[2]
ARGO_BIN = os.environ.get("ARGO_BIN") or str(REPO / "build/plain/argo-server")
ASAN = "asan" in ARGO_BIN
# Sanitized builds are slower; bounds on the client side scale with this,
# the behaviour asserted does not.
SLOW = 2.0 if ASAN else 1.0
READY_TIMEOUT = 10.0 * SLOW
IO_TIMEOUT = 5.0 * SLOW
FAKE_DIR = REPO / "tests/fake-xen"
FAKE_INSTALL = FAKE_DIR / "install.sh"
FAKE_XEN = FAKE_DIR / "fake-xen"

PASSWORD = "Abuse-pw-3kQ-secret"
WRONG = "Wr0ng-abuse-pw-secret"
SECRETS = (PASSWORD, WRONG)

CFGS = {
    "web1.cfg": 'name = "web1"\nmemory = 512\nvcpus = 2\n',
    "web2.cfg": 'name = "web2"\nmemory = 256\n',
    "db1.cfg": 'name = "db1"\nmemory = 1024\nvcpus = 4\n',
}

# What teardown refuses in the daemon's log.
BAD_LOG = ("AddressSanitizer", "LeakSanitizer", "runtime error",
           "Assertion", "Segmentation fault")


# ------------------------------------------------------------------ /proc

# stat_fields, all_procs, children_of, zombies_of, alive, wait_for and
# kill_quietly live in tests/lib/procs.py (imported above).


# ------------------------------------------------------------------ client

class Client(LineClient):
    """One TCP session (tests/lib/argoclient.py); lines come back without
    their line end."""

    default_timeout = IO_TIMEOUT
    error = AssertionError

    def __init__(self, port, source=None, timeout=None):
        super().__init__(port, source=source, timeout=timeout)


def body(reply):
    assert reply[0] == "200 OK" and reply[-1] == "300 DONE", reply
    return reply[1:-1]


# ------------------------------------------------------------------ hashes

_HASH = {}


def make_hash(password):
    if password not in _HASH:
        r = subprocess.run([ARGO_BIN, "-H"], input=password + "\n",
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and r.stdout.startswith("$y$"), r.stderr
        _HASH[password] = r.stdout.strip()
    return _HASH[password]


# ------------------------------------------------------------------ daemon

LOG_LINE = re.compile(r"^argo-(?:server|worker)\[(\d+)\]: (.*)$")
READY = re.compile(r"^argo-server\[\d+\]: ready listen=127\.0\.0\.1:(\d+) "
                   r"workers=\d+$", re.M)


class Daemon:
    """One `argo-server -f` with its own directory.

    toolstack: "xl" (the simulated one, installed per daemon), a path, or
    None (a path that does not exist)."""

    def __init__(self, root, server=None, users=True, toolstack="xl",
                 cfgs=None):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.xen_dir = self.root / "xen"
        self.xen_dir.mkdir(exist_ok=True)
        self.conf = self.root / "argo.conf"
        self.logfile = self.root / "daemon.log"
        self.pidfile = self.root / "argo.pid"
        self.bindir = self.root / "bin"
        self.state = self.root / "state"
        self.proc = None
        self.port = None
        self.rc = None
        self.log_fd = None
        self.expect_rc = 0
        self.allowed_kills = set()     # worker pids a test killed itself
        self.prefix = []               # command run before it (setpriv)
        self.binary = ARGO_BIN         # argo-server, argo-worker beside it
        self.extra_pids = []           # strays a test made, stopped at end
        self.stopped = False
        if toolstack == "xl":
            if not FAKE_INSTALL.is_file():
                pytest.skip("tests/fake-xen is not there yet")
            r = subprocess.run(["sh", str(FAKE_INSTALL), str(self.bindir),
                                str(self.state)], capture_output=True,
                               text=True, timeout=30)
            assert r.returncode == 0, r.stdout + r.stderr
            toolpath = self.bindir / "xl"
        elif toolstack is None:
            toolpath = self.bindir / "missing"
        else:
            toolpath = Path(toolstack)
        for name, text in (CFGS if cfgs is None else cfgs).items():
            (self.xen_dir / name).write_text(text)
        self.server = {
            "listen": "127.0.0.1",
            "workers": "2",
            "xen_dir": str(self.xen_dir),
            "toolstack": str(toolpath),
            "toolstack_timeout": "10",
            "pidfile": str(self.pidfile),
        }
        self.server.update(server or {})
        self.users = {"admin": {}} if users is True else (users or {})

    # -- configuration
    def config_text(self, server=None, extra=""):
        srv = dict(self.server)
        srv.update(server or {})
        out = ["[server]"] + ["%s = %s" % kv for kv in srv.items()
                             if kv[1] is not None]
        out += ["", "[allow]", "client = 127.0.0.0/8"]
        for name, spec in self.users.items():
            out += ["", "[user %s]" % name,
                    "password = %s" % make_hash(PASSWORD)]
            out += ["%s = %s" % kv for kv in spec.items()]
        return "\n".join(out) + "\n" + extra

    def write_config(self, text=None, **kw):
        text = self.config_text(**kw) if text is None else text
        tmp = self.conf.with_name(self.conf.name + ".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.conf)

    # -- life cycle
    def start(self, port=0, write=True):
        if write:
            self.write_config()
        self.log_fd = open(self.logfile, "ab")
        mark = self.mark()
        self.proc = subprocess.Popen(
            self.prefix + [self.binary, "-f", "-c", str(self.conf), "-p",
                           str(port)],
            stdin=subprocess.DEVNULL, stdout=self.log_fd, stderr=self.log_fd,
            cwd=str(self.root))
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            m = READY.search(self.log()[mark:])
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None:
                pytest.fail("daemon exited %s before ready:\n%s" %
                            (self.proc.returncode, self.log()[-3000:]))
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("no ready line in %ss:\n%s" %
                            (READY_TIMEOUT, self.log()[-3000:]))
            time.sleep(0.02)

    @property
    def pid(self):
        return self.proc.pid

    def workers(self):
        return workers_of(self.pid)

    def broker(self):
        return broker_of(self.pid)

    def children(self):
        """Every child: the workers and the broker."""
        return children_of(self.pid)

    def idle_settled(self, n=None):
        """True when every process of the daemon sleeps in a poll (no
        worker starting up, none with work left) and, if N, there are N
        workers."""
        kids = self.workers()
        if n is not None and len(kids) != n:
            return False
        for p in [self.pid] + self.children():
            try:
                st = stat_fields(p)
                with open("/proc/%d/wchan" % p) as f:
                    wchan = f.read()
            except OSError:
                continue
            if st is None or st[0] != "S" or "poll" not in wchan:
                return False
        return True

    def hup(self, settle=True, timeout=None):
        """SIGHUP, wait for the reload line; (loaded?, message).  With
        SETTLE, wait (bounded) until every process sleeps in poll before
        and after, so old idle workers have seen the reload."""
        if settle:
            wait_for(self.idle_settled, 3 * SLOW)
        mark = self.mark()
        os.kill(self.pid, signal.SIGHUP)
        got = self.wait_log(r"reload: \S+ loaded|reload failed: ",
                            since=mark, timeout=timeout)
        if settle:
            wait_for(self.idle_settled, 3 * SLOW)
        msg = got[0][1]
        return msg.startswith("reload: "), msg

    def hup_ok(self):
        ok, msg = self.hup()
        assert ok, msg
        return True

    def zombies(self):
        """Zombies of the daemon's processes that stay unreaped: one seen
        again after a short while.  The broker reaps a request's child on
        SIGCHLD just after forwarding its reply, so a zombie of a moment
        ago is no leak."""
        def now():
            procs = all_procs()
            return set(zombies_of([self.pid] + children_of(self.pid, procs),
                                  procs))
        first = now()
        if not first:
            return []
        time.sleep(0.2 * SLOW)
        return sorted(first & now())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            kids = self.children()
            self.proc.kill()
            self.proc.wait(10)
            for k in kids:
                if not wait_for(lambda k=k: not alive(k), 3):
                    kill_quietly(k)

    def stop(self, timeout=None):
        """SIGTERM by pid; returns the exit status (bounded wait)."""
        if self.proc.poll() is not None:
            self.rc = self.proc.returncode
            return self.rc
        kids = self.children()
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.rc = self.proc.wait(timeout or 15 * SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("daemon did not stop after SIGTERM:\n" +
                        self.log()[-3000:])
        left = [k for k in kids if not wait_for(lambda k=k: not alive(k), 5)]
        for k in left:
            kill_quietly(k)
        assert not left, "workers or broker %s outlived the master" % left
        return self.rc

    def check(self):
        text = self.log()
        assert self.rc == self.expect_rc, "exit status %s:\n%s" % (
            self.rc, text[-3000:])
        for ln in text.splitlines():
            for bad in BAD_LOG:
                assert bad not in ln, "%s in the log:\n%s" % (bad,
                                                               text[-6000:])
            m = re.search(r"worker (\d+) killed by signal", ln)
            if m and int(m.group(1)) not in self.allowed_kills:
                pytest.fail("unexpected log line: " + ln)
        for pw in SECRETS:
            assert pw not in text, "a password reached the log"

    # -- log
    def log(self):
        try:
            return self.logfile.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def mark(self):
        return len(self.log())

    def messages(self, since=0):
        out = []
        for ln in self.log()[since:].splitlines():
            m = LOG_LINE.match(ln)
            if m:
                out.append((int(m.group(1)), m.group(2)))
        return out

    def grep(self, pattern, since=0):
        return [(p, m) for p, m in self.messages(since)
                if re.search(pattern, m)]

    def wait_log(self, pattern, since=0, timeout=None, count=1):
        timeout = timeout or IO_TIMEOUT
        got = wait_for(lambda: len(self.grep(pattern, since)) >= count,
                       timeout)
        assert got, "no %d log line(s) /%s/ in %ss:\n%s" % (
            count, pattern, timeout, self.log()[since:][-3000:])
        return self.grep(pattern, since)

    # -- clients
    def client(self, **kw):
        return Client(self.port, **kw)

    def session(self, user=None, **kw):
        c = self.client(**kw)
        if user:
            assert c.cmd("auth %s %s" % (user, PASSWORD),
                         timeout=IO_TIMEOUT * 2) == ["200 OK", "300 DONE"]
        return c

    def ask(self, text, user=None, **kw):
        with self.session(user, **kw) as c:
            return c.cmd(text)

    # -- the simulated toolstack
    def inject(self, verb, **files):
        d = self.state / "inject"
        d.mkdir(exist_ok=True)
        for key, val in files.items():
            p = d / ("%s.%s" % (verb, key))
            p.write_bytes(val if isinstance(val, bytes) else
                          str(val).encode())

    def clear_inject(self):
        d = self.state / "inject"
        if d.is_dir():
            for p in d.iterdir():
                p.unlink()

    def calls(self):
        p = self.state / "calls.log"
        if not p.exists():
            return []
        return [json.loads(ln) for ln in p.read_text().splitlines() if ln]

    def tool_procs(self):
        """Live processes whose command line names our bin/ directory."""
        out = []
        needle = str(self.bindir).encode()
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == os.getpid():
                continue
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if needle in cmd and alive(int(d)):
                out.append(int(d))
        return out


class Factory:
    def __init__(self, tmp_factory):
        self.tmp = tmp_factory
        self.daemons = []

    def __call__(self, start=True, **kw):
        d = Daemon(self.tmp.mktemp("argo"), **kw)
        self.daemons.append(d)
        if start:
            d.start()
        return d

    def finish(self):
        errors = []
        for d in self.daemons:
            try:
                if d.proc is not None and not d.stopped:
                    # A worker that exited a moment ago is a zombie until
                    # the master's next tick reaps it: only a lasting one
                    # is a leak.
                    zs = []
                    if d.proc.poll() is None and not wait_for(
                            lambda: not d.zombies(), 2 * SLOW):
                        zs = d.zombies()
                    assert not zs, "zombies left: %s" % zs
                    d.stop()
                    d.check()
            except BaseException as e:     # report all, then fail
                errors.append("%s: %s" % (d.root, e))
            finally:
                if d.proc is not None:
                    d.kill()
                for pid in d.extra_pids + d.tool_procs():
                    kill_quietly(pid)
                if d.log_fd:
                    d.log_fd.close()
        if errors:
            pytest.fail("\n".join(errors))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: long loops (tests/e2e's valgrind run skips them)")


@pytest.fixture
def daemon_factory(tmp_path_factory):
    f = Factory(tmp_path_factory)
    yield f
    f.finish()
