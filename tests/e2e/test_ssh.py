"""argo over ssh (DESIGN.md 8) against a real sshd (Debian's
openssh-server) on 127.0.0.1 and a free port: a generated host key, a test
user whose authorized_keys forces `argo -R` (the built client, copied to a
directory the user can reach), the daemon's socket mapping that user to an
account.  whoami, a control verb, a console, a fleet mixing ssh, TCP and
a dead ssh host, and the restricted key that gives no shell.  Root only
(it creates the user and runs sshd); skipped elsewhere with the reason."""

import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import REPO, SLOW

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
USER = "argo-sshtest"
CLIENT = os.environ.get("ARGO_CLIENT") or str(REPO / "build/plain/argo")
# The local client under valgrind, as client-check-valgrind runs it.
CLIENT_WRAPPER = shlex.split(os.environ.get("ARGO_CLIENT_WRAPPER", ""))

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="needs root: creates a user and runs sshd"),
    pytest.mark.skipif(not os.path.exists(SSHD),
                       reason="no sshd (tests/deps.sh installs "
                              "openssh-server)"),
    pytest.mark.skipif(not os.path.exists(CLIENT),
                       reason="no argo client built at %s" % CLIENT),
]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                    "argo-test", "-f", str(path)], check=True, timeout=30)
    return open(str(path) + ".pub").read().strip()


class Sshd:
    """sshd, its user and keys, in one 0755 directory (bench/ssh_fleet.py
    gives it more loopback addresses)."""

    def __init__(self, addrs=("127.0.0.1",)):
        self.dir = tempfile.mkdtemp(prefix="argo-ssh-")
        os.chmod(self.dir, 0o755)
        self.made_user = False
        self.made_privsep = False
        self.proc = None
        try:
            pwd.getpwnam(USER)
            # Left by a run that was killed: ours (the name is the test's
            # own), its home gone.  sshd's StrictModes walks the key
            # file's path up to the home, so it must be this directory.
            subprocess.run(["usermod", "-d", self.dir, USER], check=True,
                           timeout=30)
        except KeyError:
            # -p '*': no password, yet not locked ('!'), which sshd
            # would refuse even for a key.
            subprocess.run(["useradd", "-M", "-d", self.dir, "-s", "/bin/sh",
                            "-p", "*", USER], check=True, timeout=30)
        self.made_user = True
        self.uid = pwd.getpwnam(USER).pw_uid
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin, 0o755)
        shutil.copy(CLIENT, os.path.join(self.bin, "argo"))
        os.chmod(os.path.join(self.bin, "argo"), 0o755)
        self.sock = os.path.join(self.dir, "run", "argo.sock")
        self.hostpub = keygen(os.path.join(self.dir, "hostkey"))
        self.key = os.path.join(self.dir, "key")
        self.rkey = os.path.join(self.dir, "rkey")
        pub, rpub = keygen(self.key), keygen(self.rkey)
        relay = "ARGO_SOCKET=%s %s/argo -R" % (self.sock, self.bin)
        keys = os.path.join(self.dir, "authorized_keys")
        with open(keys, "w") as f:
            f.write('command="%s" %s\n' % (relay, pub))
            f.write('command="%s",restrict %s\n' % (relay, rpub))
        os.chmod(keys, 0o644)
        self.port = free_port()
        cfg = os.path.join(self.dir, "sshd_config")
        with open(cfg, "w") as f:
            f.write("\n".join([
                "Port %d" % self.port] +
                ["ListenAddress %s" % a for a in addrs] + [
                "HostKey %s/hostkey" % self.dir,
                "PidFile %s/sshd.pid" % self.dir,
                "AuthorizedKeysFile %s" % keys,
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "UsePAM no",
                "PubkeyAuthentication yes", "StrictModes yes",
                # Loopback clients only, whatever the addresses bound.
                "AllowUsers %s@127.0.0.0/8" % USER, "MaxStartups 100:30:200",
                "MaxSessions 100", ""]))
        self.known = os.path.join(self.dir, "known_hosts")
        with open(self.known, "w") as f:
            f.write("* %s\n" % self.hostpub)
        self.client_cfg = os.path.join(self.dir, "ssh_config")
        self.write_client_cfg(self.key)
        self.rt = os.path.join(self.dir, "rt")
        os.mkdir(self.rt, 0o700)
        if not os.path.isdir("/run/sshd"):
            os.makedirs("/run/sshd", 0o755)
            self.made_privsep = True
        self.log = open(os.path.join(self.dir, "sshd.log"), "wb")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", cfg],
                                     stdout=self.log, stderr=self.log,
                                     stdin=subprocess.DEVNULL)
        if not wait_port(self.port, self.proc, 20 * SLOW):
            raise AssertionError("sshd did not come up: %s" %
                                 open(self.log.name).read())

    def write_client_cfg(self, key, path=None):
        with open(path or self.client_cfg, "w") as f:
            f.write("\n".join([
                "Host *", "  IdentityFile %s" % key, "  IdentitiesOnly yes",
                "  UserKnownHostsFile %s" % self.known,
                "  GlobalKnownHostsFile /dev/null",
                "  StrictHostKeyChecking yes", "  ConnectTimeout 10", ""]))

    def spec(self, addr="127.0.0.1", port=None):
        return "ssh://%s@%s:%d" % (USER, addr, port or self.port)

    def env(self, cfg=None):
        e = dict(os.environ)
        e["ARGO_SSH"] = "ssh -F %s" % (cfg or self.client_cfg)
        e["XDG_RUNTIME_DIR"] = self.rt
        return e

    def masters(self):
        d = os.path.join(self.rt, "argo-ssh")
        return [os.path.join(d, n) for n in os.listdir(d)] \
            if os.path.isdir(d) else []

    def stop_masters(self):
        for s in self.masters():
            subprocess.run(["ssh", "-F", self.client_cfg, "-S", s, "-O",
                            "exit", "x"], capture_output=True, timeout=30)

    def close(self):
        try:
            self.stop_masters()
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(15)
            self.log.close()
            if self.made_user:
                # -f: a session of the user's may still be on its way out.
                subprocess.run(["userdel", "-f", USER], timeout=30,
                               capture_output=True)
            if self.made_privsep:
                shutil.rmtree("/run/sshd", ignore_errors=True)
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def sshd():
    s = Sshd()
    yield s
    s.close()


@pytest.fixture(scope="module")
def d(module_factory, sshd):
    return module_factory(toolstack="xl", require_toolstack=True, server={
        "socket": sshd.sock, "socket_mode": "0666"}, users={
        "admin": {"unix_users": USER}})


def argo(sshd, *args, input=None, cfg=None, timeout=60):
    return subprocess.run(CLIENT_WRAPPER + [CLIENT] + list(args),
                          input=input,
                          capture_output=True, text=True,
                          env=sshd.env(cfg), timeout=timeout * SLOW,
                          stdin=None if input is not None else
                          subprocess.DEVNULL)


def test_whoami_over_ssh(sshd, d):
    mark = d.mark()
    r = argo(sshd, sshd.spec(), "whoami")
    assert (r.returncode, r.stdout, r.stderr) == (0, "admin\n", ""), \
        open(sshd.log.name).read()
    d.wait_log(r"^session start peer=unix:%d user=admin$" % sshd.uid,
               since=mark)


def test_control_verb_over_ssh(sshd, d):
    mark = d.mark()
    r = argo(sshd, sshd.spec(), "create", "web1")
    assert r.returncode == 0, r.stderr
    d.wait_log(r"^control peer=unix:%d user=admin verb=create instance=web1 "
               r"rc=0 ms=\d+$" % sshd.uid, since=mark)
    r = argo(sshd, sshd.spec(), "list", "running")
    assert r.returncode == 0 and "web1" in r.stdout, r.stdout + r.stderr


def test_console_over_ssh(sshd, d):
    r = argo(sshd, sshd.spec(), "create", "db1")
    assert r.returncode == 0, r.stderr
    r = argo(sshd, sshd.spec(), "console", "db1", input="\x1d")
    assert r.returncode == 0, r.stderr
    r = argo(sshd, sshd.spec(), input="console db1\n\x1d\nwhoami\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\nadmin\n"), r.stdout


def test_fleet_mixing_ssh_tcp_and_a_dead_ssh_host(sshd, d):
    dead = free_port()
    tcp = "127.0.0.1:%d" % d.port
    hosts = ",".join([sshd.spec(), tcp, sshd.spec(port=dead)])
    r = argo(sshd, hosts, "whoami")
    assert r.returncode == 2, r.stdout + r.stderr
    assert sorted(r.stdout.splitlines()) == sorted([
        "%s: admin" % sshd.spec(), "%s: anonymous" % tcp])
    err = r.stderr.splitlines()
    assert len(err) == 1, r.stderr
    assert err[0].startswith("%s: " % sshd.spec(port=dead))
    assert "Connection refused" in err[0], err


def test_connections_are_shared(sshd, d):
    sshd.stop_masters()
    r = argo(sshd, sshd.spec(), "whoami")
    assert r.returncode == 0, r.stderr
    assert len(sshd.masters()) == 1, "no ControlMaster socket"
    r = subprocess.run(["ssh", "-F", sshd.client_cfg, "-S",
                        sshd.masters()[0], "-O", "check", "x"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    st = os.stat(os.path.join(sshd.rt, "argo-ssh"))
    assert st.st_mode & 0o777 == 0o700


def test_no_sharing_when_argo_ssh_decides(sshd, d):
    sshd.stop_masters()
    cfg = os.path.join(sshd.dir, "ssh_config_noshare")
    sshd.write_client_cfg(sshd.key, cfg)
    e = sshd.env()
    e["ARGO_SSH"] = "ssh -F %s -S none" % cfg
    r = subprocess.run([CLIENT, sshd.spec(), "whoami"], capture_output=True,
                       text=True, env=e, timeout=60 * SLOW,
                       stdin=subprocess.DEVNULL)
    assert (r.returncode, r.stdout) == (0, "admin\n"), r.stderr
    assert sshd.masters() == []


def test_key_refused_is_that_hosts_error(sshd, d):
    cfg = os.path.join(sshd.dir, "ssh_config_nokey")
    other = os.path.join(sshd.dir, "stranger")
    keygen(other)
    sshd.write_client_cfg(other, cfg)
    e = sshd.env()
    e["ARGO_SSH"] = "ssh -F %s -S none" % cfg
    r = subprocess.run([CLIENT, sshd.spec(), "whoami"], capture_output=True,
                       text=True, env=e, timeout=60 * SLOW,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert r.stderr.startswith("%s: " % sshd.spec())
    assert "Permission denied" in r.stderr, r.stderr


def test_restricted_key_gives_no_shell(sshd, d):
    base = ["ssh", "-F", sshd.client_cfg, "-i", sshd.rkey, "-o",
            "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-p",
            str(sshd.port), "%s@127.0.0.1" % USER]
    # Whatever command is asked for, the key runs argo -R: the shell
    # command arrives at the daemon as a request, never at a shell.
    r = subprocess.run(base + ["echo", "shell-was-here"],
                       input="whoami\n", capture_output=True, text=True,
                       timeout=60 * SLOW)
    assert "shell-was-here" not in r.stdout
    assert r.stdout == "200 OK\nadmin\n300 DONE\n", r.stdout + r.stderr
    # No terminal either (restrict: no-pty).
    r = subprocess.run(base[:1] + ["-tt"] + base[1:], input="whoami\n",
                       capture_output=True, text=True, timeout=60 * SLOW)
    assert "PTY allocation request failed" in r.stderr, r.stderr
