"""End-to-end harness for argo-server: start the real binary on a
kernel-picked loopback port, talk TCP to it, grep its log, and stop it by
pid.  Standard library plus pytest only.

Environment:
  ARGO_BIN      the daemon (default: build/plain/argo-server of this tree)
  ARGO_WRAPPER  words put before the daemon command (valgrind ...)
"""

import json
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

LIB = str(Path(__file__).resolve().parents[1] / "lib")
if LIB not in sys.path:
    sys.path.insert(0, LIB)
# The shared line client; Closed is imported from here by the tests.
from argoclient import Closed, LineClient  # noqa: E402,F401
from procs import (alive, broker_of, children_of, wait_for,  # noqa: E402,F401
                   workers_of)

REPO = Path(__file__).resolve().parents[2]
ARGO_BIN = os.environ.get("ARGO_BIN") or str(REPO / "build/plain/argo-server")
WRAPPER = shlex.split(os.environ.get("ARGO_WRAPPER", ""))
VALGRIND = any("valgrind" in w for w in WRAPPER)
ASAN = "asan" in ARGO_BIN
# Everything the daemon does is slower under valgrind or ASan; bounds on
# the client side scale, the behaviour asserted does not.
SLOW = 6.0 if VALGRIND else (2.0 if ASAN else 1.0)
READY_TIMEOUT = 30.0 if VALGRIND else 10.0
IO_TIMEOUT = 5.0 * SLOW
STOP_TIMEOUT = 15.0 * SLOW
FAKE_XEN = REPO / "tests/fake-xen"
FAKE_INSTALL = FAKE_XEN / "install.sh"
VERSION = "0.1.0"

# Test passwords: every one of them must never appear in any daemon log.
PASSWORDS = {
    "admin": "Adm1n-pw-7xQ-secret",
    "ro": "R3ad0nly-pw-9kZ-secret",
    "lim": "L1mited-pw-4vB-secret",
    "newbie": "N3wbie-pw-2mH-secret",
}
WRONG_PASSWORDS = ["Wr0ng-pw-5tY-secret", "Wr0ng-pw-6uI-secret"]
SECRETS = list(PASSWORDS.values()) + WRONG_PASSWORDS

# Sample instances: file name -> contents (valid for xl and xm alike).
SAMPLE_CFGS = {
    "web1.cfg": 'name = "web1"\nmemory = 512\nvcpus = 2\n',
    "web2.cfg": '# second web server\nname = "web2"\nmemory = 256\n',
    "db1.cfg": 'name = "db1"\nmemory = 1024\nvcpus = 4\n',
    "bare.cfg": 'name = "bare"\n',
    "lh.cfg": 'name = "localhost"\nmemory = 64\n',
    "long.cfg": 'name = "this-is-a-rather-long-instance-name.example.org"\n'
                'memory = 128\n',
}
LONG_NAME = "this-is-a-rather-long-instance-name.example.org"

HELP_USAGES = [
    "help", "version", "auth USER PASSWORD", "whoami", "list available",
    "list running", "status NAME", "ip NAME", "start NAME", "shutdown NAME",
    "reboot NAME", "destroy NAME", "pause NAME", "unpause NAME", "info",
    "console NAME", "mem-set NAME MIB", "vcpu-set NAME N", "watch", "exit",
]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: too slow for valgrind (timeouts, floods)")


def fake_available():
    return FAKE_INSTALL.is_file()


def resolve_set(name):
    """What getaddrinfo gives for NAME, numeric, as the daemon should."""
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_UNSPEC,
                                   socket.SOCK_STREAM)
    except socket.gaierror:
        return set()
    return {i[4][0] for i in infos}


# ------------------------------------------------------------------ hashes

_HASHES = {}


def make_hash(password):
    """yescrypt hash from `argo-server -H`, cached for the session."""
    if password not in _HASHES:
        r = subprocess.run([ARGO_BIN, "-H"], input=password + "\n",
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        h = r.stdout.strip()
        assert h.startswith("$y$"), h
        _HASHES[password] = h
    return _HASHES[password]


# ------------------------------------------------------------------ client

class Client(LineClient):
    """One TCP session (tests/lib/argoclient.py).  Lines are returned
    without their LF (a CR before it, which clients must accept, is dropped
    too)."""

    default_timeout = IO_TIMEOUT
    error = AssertionError

    def closed_within(self, timeout=None):
        """True if the server closes (with no further data) in time."""
        try:
            return self.read_all(timeout) == b""
        except socket.timeout:
            return False

    def nothing_for(self, seconds):
        """True if nothing arrives (and no close) for SECONDS."""
        try:
            self._fill(time.monotonic() + seconds)
        except socket.timeout:
            return not self.buf
        return False


def body(reply):
    assert reply[0] == "200 OK" and reply[-1] == "300 DONE", reply
    return reply[1:-1]


def ok(reply):
    assert reply == ["200 OK", "300 DONE"], reply


# ------------------------------------------------------------------ daemon

def procs_matching(text):
    """Pids (not zombies) whose command line contains TEXT."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmd and alive(int(d)):
            out.append(int(d))
    return out


# The master and broker log as argo-server, a worker (relayed by the master)
# as argo-worker.
LOG_PREFIX = re.compile(r"^argo-(?:server|worker)\[(\d+)\]: (.*)$")


class Daemon:
    """One argo-server -f with its own temp dir, config, xen_dir, fake
    toolstack (when available) and log file."""

    def __init__(self, root, server=None, allow=None, users=None,
                 cfgs=None, toolstack="xl", require_toolstack=False,
                 binary=None):
        self.root = Path(root)
        self.binary = str(binary or ARGO_BIN)
        self.root.mkdir(parents=True, exist_ok=True)
        self.xen_dir = self.root / "xen"
        self.xen_dir.mkdir(exist_ok=True)
        self.conf = self.root / "argo.conf"
        self.logfile = self.root / "daemon.log"
        self.pidfile = self.root / "argo.pid"
        self.state = None
        self.tool = None
        self.toolpath = None
        self.proc = None
        self.port = None
        self.listens = []
        self.rc = None
        self.expect_rc = 0
        self.allowed_kills = set()
        self.allow_log_patterns = []
        # sanitizer reports of a known daemon bug (an xfail test's own)
        self.tolerate = []
        if toolstack:
            if fake_available():
                self.state = self.root / "state"
                bindir = self.root / "bin"
                r = subprocess.run(["sh", str(FAKE_INSTALL), str(bindir),
                                    str(self.state)],
                                   capture_output=True, text=True, timeout=30)
                assert r.returncode == 0, r.stdout + r.stderr
                self.tool = toolstack
                self.toolpath = bindir / toolstack
            elif require_toolstack:
                pytest.skip("tests/fake-xen not installed yet")
            else:
                self.toolpath = self.root / "bin" / "missing-toolstack"
        else:
            self.toolpath = self.root / "bin" / "missing-toolstack"
        for name, text in (SAMPLE_CFGS if cfgs is None else cfgs).items():
            self.write_cfg(name, text)
        self.server = {
            "listen": "127.0.0.1",
            "workers": "2",
            "xen_dir": str(self.xen_dir),
            "toolstack": str(self.toolpath),
            "toolstack_timeout": "10",
            "pidfile": str(self.pidfile),
        }
        self.server.update(server or {})
        self.allow = allow
        self.users = {} if users is None else users
        self.write_config()

    # -- configuration
    def write_cfg(self, name, text):
        p = self.xen_dir / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return p

    def config_text(self, server=None, allow=None, users=None, extra=""):
        srv = dict(self.server)
        srv.update(server or {})
        allow = self.allow if allow is None else allow
        users = self.users if users is None else users
        out = ["# written by tests/e2e/conftest.py", "[server]"]
        out += ["%s = %s" % kv for kv in srv.items() if kv[1] is not None]
        if allow:
            out += ["", "[allow]"] + ["client = %s" % a for a in allow]
        for name, spec in users.items():
            spec = dict(spec)
            pw = spec.pop("password", PASSWORDS.get(name))
            out += ["", "[user %s]" % name, "password = %s" % make_hash(pw)]
            out += ["%s = %s" % kv for kv in spec.items()]
        return "\n".join(out) + "\n" + extra

    def write_config(self, text=None, **kw):
        if text is None:
            text = self.config_text(**kw)
        tmp = self.conf.with_suffix(".tmp")
        tmp.write_text(text)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.conf)
        return text

    # -- life cycle
    def argv(self, *extra):
        return WRAPPER + [self.binary, "-f", "-c", str(self.conf),
                          "-p", "0"] + list(extra)

    def start(self, *extra):
        self.log_fd = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.argv(*extra), stdin=subprocess.DEVNULL,
                                     stdout=self.log_fd, stderr=self.log_fd,
                                     cwd=str(self.root))
        pat = re.compile(r"^argo-server\[\d+\]: ready((?: listen=\S+)+) "
                         r"workers=\d+$", re.M)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            m = pat.search(self.log())
            if m:
                break
            if self.proc.poll() is not None:
                pytest.fail("daemon exited with %s before ready:\n%s" %
                            (self.proc.returncode, self.log()))
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail("no ready line within %ss:\n%s" %
                            (READY_TIMEOUT, self.log()))
            time.sleep(0.05)
        self.listens = re.findall(r"listen=(\S+)", m.group(1))
        self.port = int(self.listens[0].rsplit(":", 1)[1])
        return self

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

    def kill(self):
        if self.proc and self.proc.poll() is None:
            kids = self.children()
            self.proc.kill()
            self.proc.wait(10)
            for k in kids:
                wait_for(lambda: not alive(k), 3)
                if alive(k):
                    os.kill(k, signal.SIGKILL)

    def stop(self, sig=signal.SIGTERM, timeout=None):
        """Signal the master by pid, wait bounded, return its status."""
        if self.proc.poll() is not None:
            self.rc = self.proc.returncode
            return self.rc
        kids = self.children()
        os.kill(self.pid, sig)
        try:
            self.rc = self.proc.wait(timeout or STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("daemon did not stop within %ss after signal %d\n%s"
                        % (timeout or STOP_TIMEOUT, sig, self.log()[-3000:]))
        left = [k for k in kids if not wait_for(lambda k=k: not alive(k), 5)]
        for k in left:
            os.kill(k, signal.SIGKILL)
        assert not left, "workers or broker %s outlived the master" % left
        self.log_fd.close()
        return self.rc

    def settled(self):
        """True when the master and every worker sleep in poll: no worker
        is starting up, and none has a signal or event left to act on."""
        pids = [self.pid] + self.children()
        for p in pids:
            try:
                with open("/proc/%d/stat" % p) as f:
                    st = f.read()
                with open("/proc/%d/wchan" % p) as f:
                    wchan = f.read()
            except OSError:
                continue            # gone meanwhile: fine
            if st[st.rindex(")") + 2] != "S" or "poll" not in wchan:
                return False
        return True

    def hup(self, settle=True, timeout=None):
        """SIGHUP and wait for the reload line; returns its message.
        With SETTLE, wait (bounded) before and after until no process of
        the daemon is starting up or runnable: an idle worker that runs
        only after a new client arrived serves it on the old configuration
        (a daemon bug, see test_sighup_new_session_after_reload_on_slow_
        worker), which would make the ordinary reload tests flaky."""
        if settle:
            wait_for(self.settled, 3)
        mark = self.mark()
        os.kill(self.pid, signal.SIGHUP)
        pat = r"reload: \S+ loaded|reload failed: .*"
        msg = self.wait_log(pat, since=mark, timeout=timeout)
        if settle:
            # old idle workers must have had the CPU to see the reload (a
            # starved one may serve a new session on the old config: see
            # test_sighup_new_session_after_reload_on_slow_worker)
            wait_for(self.settled, 3)
        return msg

    def check(self):
        """The teardown assertions on status and log."""
        text = self.log()
        if VALGRIND:
            assert self.rc != 99, "valgrind reported errors:\n" + text[-5000:]
            assert "exited with status 99" not in text, \
                "valgrind errors in a worker:\n" + text[-5000:]
        assert self.rc == self.expect_rc, "exit status %s\n%s" % (
            self.rc, text[-3000:])
        for line in text.splitlines():
            if "killed by signal" in line:
                if any(re.search(p, line) for p in self.allow_log_patterns):
                    continue
                m = re.search(r"worker (\d+) killed by signal", line)
                if m and int(m.group(1)) in self.allowed_kills:
                    continue
                pytest.fail("unexpected log line: " + line)
        for line in text.splitlines():
            if any(re.search(p, line) for p in self.tolerate):
                continue
            for bad in ("AddressSanitizer", "LeakSanitizer", "runtime error"):
                assert bad not in line, text[-5000:]
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
        """[(pid, message)] of the log lines after offset SINCE."""
        out = []
        for line in self.log()[since:].splitlines():
            m = LOG_PREFIX.match(line)
            if m:
                out.append((int(m.group(1)), m.group(2)))
        return out

    def grep(self, pattern, since=0):
        return [m for _, m in self.messages(since) if re.search(pattern, m)]

    def wait_log(self, pattern, since=0, timeout=None):
        """The first message after SINCE matching PATTERN (waits)."""
        timeout = timeout or IO_TIMEOUT
        got = wait_for(lambda: self.grep(pattern, since), timeout)
        assert got, "no log line /%s/ within %ss; log:\n%s" % (
            pattern, timeout, self.log()[since:][-3000:])
        return got[0]

    def wait_sessions_logged(self, ends=0):
        """Every session logged as started has logged its end, and at
        least ENDS have.  A worker's lines reach the log through the
        master's relay, after its client has the reply: without this, an
        earlier session's lines may land after a new mark."""
        def settled():
            msgs = [m for _, m in self.messages()]
            e = sum(m.startswith("session end ") for m in msgs)
            return e >= ends and e == sum(
                m.startswith("session start ") for m in msgs)
        assert wait_for(settled, IO_TIMEOUT), self.log()[-3000:]

    def session_ends(self):
        return sum(m.startswith("session end ") for _, m in self.messages())

    # -- clients
    def client(self, **kw):
        return Client(self.port, **kw)

    def session(self, user=None, **kw):
        c = self.client(**kw)
        if user:
            assert c.cmd("auth %s %s" % (user, PASSWORDS[user]),
                         timeout=IO_TIMEOUT * 3) == ["200 OK", "300 DONE"]
        return c

    def ask(self, text, user=None):
        """One request on a fresh session; returns the reply."""
        with self.session(user) as c:
            return c.cmd(text)

    # -- the fake toolstack
    def calls(self):
        p = self.state / "calls.log"
        if not p.exists():
            return []
        return [json.loads(ln) for ln in p.read_text().splitlines() if ln]

    def ncalls(self):
        return len(self.calls())

    def calls_since(self, n):
        return self.calls()[n:]

    def argvs_since(self, n):
        return [c["argv"] for c in self.calls_since(n)]

    def inject(self, verb, **files):
        """inject/VERB.KEY files (KEY: sleep, stdout, stderr, rc, once)."""
        d = self.state / "inject"
        d.mkdir(exist_ok=True)
        for key, val in files.items():
            p = d / ("%s.%s" % (verb, key))
            p.write_bytes(val if isinstance(val, bytes) else str(val).encode())

    def clear_inject(self):
        d = self.state / "inject"
        if d.is_dir():
            for p in d.iterdir():
                p.unlink()

    def fake(self, *args, env=None):
        """Run the fake toolstack directly (set-up and inspection)."""
        e = dict(os.environ, ARGO_E2E_DIRECT="1")
        e.update(env or {})
        return subprocess.run([str(self.toolpath)] + list(args), env=e,
                              capture_output=True, text=True, timeout=30)

    def domains(self):
        """{name: {field: value}} from the fake's state directory."""
        out = {}
        d = self.state / "domains"
        if d.is_dir():
            for p in d.iterdir():
                if p.name.isdigit():
                    kv = dict(ln.split("=", 1)
                              for ln in p.read_text().splitlines() if "=" in ln)
                    out[kv.get("name")] = dict(kv, _path=str(p))
        return out

    def set_domain(self, name, **fields):
        """Edit a guest's domain file (no fake is running meanwhile)."""
        dom = self.domains()[name]
        p = Path(dom["_path"])
        lines = p.read_text().splitlines()
        done = set()
        for i, ln in enumerate(lines):
            k = ln.split("=", 1)[0]
            if k in fields:
                lines[i] = "%s=%s" % (k, fields[k])
                done.add(k)
        lines += ["%s=%s" % (k, v) for k, v in fields.items() if k not in done]
        tmp = p.with_name(".tmp-" + p.name)
        tmp.write_text("\n".join(lines) + "\n")
        os.rename(tmp, p)

    def fake_procs(self):
        """Live processes running this daemon's fake toolstack."""
        return procs_matching(str(self.root / "bin"))


def cleanup_fakes(d):
    # Any fake the daemon failed to reap: ours to stop (by pid).
    for pid in d.fake_procs() if d.state else []:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


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
            if d.proc is None:
                continue
            try:
                d.stop()
                d.check()
            except BaseException as e:  # report every daemon, then fail
                errors.append("%s: %s" % (d.root, e))
            finally:
                d.kill()
                cleanup_fakes(d)
        if errors:
            pytest.fail("\n".join(errors))


@pytest.fixture
def daemon_factory(tmp_path_factory):
    """Function scope: daemons stopped and checked after the test."""
    f = Factory(tmp_path_factory)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def module_factory(tmp_path_factory):
    """Module scope: one or more daemons shared by a test module."""
    f = Factory(tmp_path_factory)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def users_all():
    return {"admin": {}, "ro": {"readonly": "yes"},
            "lim": {"instances": "web1 db1"}}
