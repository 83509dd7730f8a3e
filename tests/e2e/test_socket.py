"""The local socket and its peer credentials (DESIGN.md 8): a uid listed in
an account's unix_users is that account from its first byte, any other is
anonymous and may auth; the file's mode and group decide who may connect;
max_per_host counts per uid; a stale socket is replaced, a live one is not;
config errors name FILE:LINE.  Clients of other uids need root (CI is)."""

import errno
import grp
import os
import select
import shutil
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import ARGO_BIN, PASSWORDS, body
from uidclient import run_as, session_as, talk

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="clients of other uids need root (setuid)")

GROUP = "users"         # in every Debian; the socket's group here
U_ADMIN, U_RO, U_LIM, U_NOBODY, U_OUT = 42001, 42002, 42003, 42009, 42010


def gid():
    return grp.getgrnam(GROUP).gr_gid


@pytest.fixture(scope="module")
def sockdir():
    # /tmp/pytest-of-root is 0700: the other uids could not reach a socket
    # there.  The socket's own directory ("run") is left to the daemon.
    d = tempfile.mkdtemp(prefix="argo-sock-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def server_keys(path, **more):
    keys = {"socket": path, "socket_mode": "0660", "socket_group": GROUP,
            "workers": "3", "max_per_host": "2"}
    keys.update(more)
    return keys


USERS = {
    "admin": {"unix_users": str(U_ADMIN)},
    "ro": {"unix_users": str(U_RO), "readonly": "yes"},
    "lim": {"unix_users": str(U_LIM), "instances": "web1"},
}


@pytest.fixture(scope="module")
def d(module_factory, sockdir):
    return module_factory(toolstack="xl", require_toolstack=True,
                          server=server_keys(sockdir + "/run/argo.sock"),
                          users=USERS)


def path_of(d):
    return d.server["socket"]


def as_member(d, uid, lines):
    r = session_as(path_of(d), uid, lines, gid=gid(), groups=[gid()])
    assert "error" not in r, r
    return r["lines"]


def test_file_mode_group_and_directory(d):
    st = os.stat(path_of(d))
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660
    assert st.st_gid == gid() and st.st_uid == 0
    assert stat.S_IMODE(os.stat(os.path.dirname(path_of(d))).st_mode) == 0o755
    assert "listen=unix:%s" % path_of(d) in d.log()


def test_mapped_uid_is_its_account(d):
    mark = d.mark()
    lines = as_member(d, U_ADMIN, ["whoami", "create web1", "destroy web1"])
    assert lines[:3] == ["200 OK", "admin", "300 DONE"]
    assert lines[3:7] == ["200 OK", "300 DONE", "200 OK", "300 DONE"]
    d.wait_log(r"^session start peer=unix:%d user=admin$" % U_ADMIN,
               since=mark)
    d.wait_log(r"^control peer=unix:%d user=admin verb=create instance=web1 "
               r"rc=0 ms=\d+$" % U_ADMIN, since=mark)


def test_unmapped_uid_is_anonymous_and_may_auth(d):
    lines = as_member(d, U_NOBODY, [
        "whoami", "pause web1", "auth admin %s" % PASSWORDS["admin"],
        "whoami"])
    assert lines[:3] == ["200 OK", "anonymous", "300 DONE"]
    assert lines[3] == "400 NOT AUTHENTICATED"
    assert lines[4:9] == ["200 OK", "300 DONE", "200 OK", "admin",
                          "300 DONE"]


def test_readonly_account(d):
    lines = as_member(d, U_RO, ["whoami", "pause web1"])
    assert lines[:3] == ["200 OK", "ro", "300 DONE"]
    assert lines[3] == "400 PERMISSION DENIED"


def test_restricted_account(d):
    lines = as_member(d, U_LIM, ["list available", "status web2",
                                 "pause db1"])
    i = lines.index("300 DONE")
    assert body(lines[:i + 1]) == ["web1"]
    assert lines[i + 1:i + 3] == ["400 NO SUCH INSTANCE",
                                  "400 NO SUCH INSTANCE"]


def test_outside_the_group_cannot_connect(d):
    r = session_as(path_of(d), U_OUT, ["whoami"], gid=65534, groups=[])
    assert r.get("errno") == errno.EACCES, r


def test_per_uid_limit(d):
    """max_per_host = 2 counts sessions of one uid; another uid still gets
    in while those are held."""
    go_r, go_w = os.pipe()

    def body_fn():
        held = []
        for _ in range(2):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path_of(d))
            s.sendall(b"whoami\n")
            got = b""
            while b"300 DONE\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
            held.append(s)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path_of(d))
        third = s.recv(4096).decode()
        # Holding the two: the parent tries another uid, then lets go.
        os.write(ready_w, b"r")
        select.select([go_r], [], [], 20)
        return {"third": third}

    ready_r, ready_w = os.pipe()
    import threading
    result = {}

    def runner():
        result.update(run_as(U_ADMIN, body_fn, gid=gid(), groups=[gid()],
                             timeout=30))

    t = threading.Thread(target=runner)
    t.start()
    try:
        ready, _, _ = select.select([ready_r], [], [], 25)
        assert ready, "the uid's sessions were not held in time"
        other = talk(path_of(d), ["whoami"])   # root: not mapped
        assert other[:3] == ["200 OK", "anonymous", "300 DONE"]
    finally:
        os.write(go_w, b"g")
        t.join(35)
        for fd in (go_r, go_w, ready_r, ready_w):
            os.close(fd)
    assert result.get("third") == "400 SERVER BUSY\n", result


def test_stale_socket_replaced_live_refused(daemon_factory, sockdir):
    path = sockdir + "/stale/argo.sock"
    a = daemon_factory(server=server_keys(path), users=USERS)
    # A second daemon on the live path fails, and leaves it alone.
    b = daemon_factory(start=False, server=server_keys(path), users=USERS)
    r = subprocess.run(b.argv(), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "cannot listen on %s: another server answers there" % path \
        in r.stderr
    assert talk(path, ["whoami"])[:2] == ["200 OK", "anonymous"]
    # kill -9 leaves the file; the next daemon replaces it.
    a.kill()
    a.expect_rc = -9
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    # Refused once the last process holding the listener is gone (a
    # worker dies of its parent's death a moment after it): bounded.
    deadline = time.monotonic() + 30
    while True:
        try:
            talk(path, ["whoami"], timeout=5)
        except ConnectionRefusedError:
            break
        except OSError:
            pass            # a worker on its way out dropped it
        assert time.monotonic() < deadline, "the dead daemon still answers"
        time.sleep(0.05)
    c = daemon_factory(server=server_keys(path), users=USERS)
    assert talk(path, ["whoami"])[:2] == ["200 OK", "anonymous"]
    c.stop()
    assert not os.path.exists(path), "the socket outlived its daemon"


@pytest.mark.parametrize("text,line,msg", [
    ("[user a]\nunix_users = no-such-user-x\n", 2,
     "unix_users: no user 'no-such-user-x' on this system"),
    ("[user a]\nunix_users = 4711\n[user b]\nunix_users = root 4711\n", 4,
     "unix_users: uid 4711 ('4711') is already in [user a]"),
    ("[user a]\nunix_users = root root\n", 2,
     "unix_users: uid 0 ('root') is already in [user a]"),
    ("[server]\nsocket_mode = 0999\n", 2,
     "socket_mode: '0999' is not an octal mode from 0 to 0777"),
    ("[server]\nsocket_group = -x\n", 2,
     "socket_group: '-x' is not a group name"),
    ("[server]\nsocket = run/argo.sock\n", 2,
     "socket: 'run/argo.sock' is not an absolute path"),
    ("[user a]\ninstances = *\n", 1, "user a has no password"),
])
def test_config_errors(tmp_path, text, line, msg):
    p = tmp_path / "bad.conf"
    p.write_text(text)
    os.chmod(p, 0o600)
    r = subprocess.run([ARGO_BIN, "-t", "-c", str(p)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr.strip() == "%s:%d: %s" % (p, line, msg)


def test_unknown_group_fails_at_start(daemon_factory, sockdir):
    d = daemon_factory(start=False, server=server_keys(
        sockdir + "/g/argo.sock", socket_group="no-such-group-x"))
    r = subprocess.run(d.argv(), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "cannot listen on %s/g/argo.sock: no group no-such-group-x" % \
        sockdir in r.stderr


def test_account_of_unix_users_only_needs_no_password(tmp_path):
    p = tmp_path / "ok.conf"
    p.write_text("[server]\nsocket = /run/x/argo.sock\n"
                 "[user a]\nunix_users = root 4711\n")
    os.chmod(p, 0o600)
    r = subprocess.run([ARGO_BIN, "-t", "-c", str(p)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stderr
