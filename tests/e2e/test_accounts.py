"""Accounts and permissions (DESIGN section 3): anonymous, anonymous_read =
no, read-only, restricted, full; the audit line of control commands."""

import pytest

from conftest import PASSWORDS, body, ok, resolve_set

CONTROL = ["start", "boot", "create", "shutdown", "reboot", "destroy", "pause",
           "unpause"]
ALL = sorted(["web1", "web2", "db1", "bare", "localhost",
              "this-is-a-rather-long-instance-name.example.org"])


@pytest.fixture(scope="module")
def d(module_factory):
    return module_factory(toolstack="xl", require_toolstack=True, users={
        "admin": {},
        "ro": {"readonly": "yes"},
        "lim": {"instances": "web1 db1 ghost"},
    })


@pytest.fixture(autouse=True)
def reset(d):
    yield
    d.clear_inject()
    dom = d.state / "domains"
    if dom.is_dir():
        for p in dom.iterdir():
            p.unlink()


def test_anonymous_reads(d):
    with d.session() as c:
        assert c.cmd("whoami")[1] == "anonymous"
        assert body(c.cmd("list available")) == ALL
        ok(c.cmd("list running"))
        assert body(c.cmd("status web1"))[0] == "name: web1"
        assert set(body(c.cmd("ip localhost"))) == resolve_set("localhost")


@pytest.mark.parametrize("verb", CONTROL)
def test_anonymous_control_not_authenticated(d, verb):
    n = d.ncalls()
    mark = d.mark()
    with d.session() as c:
        assert c.cmd("%s web1" % verb) == ["400 NOT AUTHENTICATED"]
    assert d.ncalls() == n
    d.wait_log(r"^control peer=127\.0\.0\.1 user=- verb=\S+ instance=web1 "
               r"rc=denied ms=\d+$", since=mark)


@pytest.mark.parametrize("verb", CONTROL)
def test_readonly_permission_denied(d, verb):
    with d.session("ro") as c:
        assert c.cmd("whoami")[1] == "ro"
        assert body(c.cmd("list available")) == ALL
        n = d.ncalls()
        mark = d.mark()
        assert c.cmd("%s web1" % verb) == ["400 PERMISSION DENIED"]
        assert d.ncalls() == n
    d.wait_log(r"^control peer=127\.0\.0\.1 user=ro verb=\S+ instance=web1 "
               r"rc=denied ms=\d+$", since=mark)


def test_readonly_reads(d):
    with d.session("admin") as a:
        ok(a.cmd("start web2"))
    with d.session("ro") as c:
        assert [ln.split()[0] for ln in body(c.cmd("list running"))] == \
            ["web2"]
        assert body(c.cmd("status web2"))[2] == "state: running"
        assert c.cmd("ip web2")[0] == "200 OK"


def test_restricted_sees_only_its_instances(d):
    with d.session("admin") as a:
        ok(a.cmd("start web2"))
        ok(a.cmd("start bare"))
    with d.session("lim") as c:
        assert body(c.cmd("list available")) == ["db1", "web1"]
        ok(c.cmd("list running"))           # web2, bare: not visible
        ok(c.cmd("start web1"))
        lines = body(c.cmd("list running"))
        assert [ln.split()[0] for ln in lines] == ["web1"], lines
        assert body(c.cmd("status web1"))[2] == "state: running"
        n = d.ncalls()
        for req in ["status web2", "ip web2", "status bare", "ip localhost",
                    "pause web2", "destroy bare", "start web2",
                    "shutdown localhost", "status ghost", "start ghost"]:
            assert c.cmd(req) == ["400 NO SUCH INSTANCE"], req
        assert d.ncalls() == n
        ok(c.cmd("pause web1"))
        ok(c.cmd("destroy web1"))
    assert sorted(d.domains()) == ["bare", "web2"]


def test_full_account(d):
    with d.session("admin") as c:
        assert c.cmd("whoami")[1] == "admin"
        for name in ("web1", "web2", "db1"):
            ok(c.cmd("start " + name))
        assert [ln.split()[0] for ln in body(c.cmd("list running"))] == \
            ["web1", "web2", "db1"]
        ok(c.cmd("destroy web2"))


def test_audit_success_failure_denial(d):
    # Earlier tests' refusals (rc=nosuch, rc=denied) are logged by their
    # workers, through the relay: all in before the mark.
    d.wait_sessions_logged()
    mark = d.mark()
    with d.session("admin") as c:
        ok(c.cmd("start web1"))
        ok(c.cmd("pause web1"))
        d.inject("unpause", rc="5", stderr="nope\n")
        assert c.cmd("unpause web1") == ["400 TOOLSTACK FAILED: nope"]
    with d.session("ro") as c:
        assert c.cmd("destroy web1") == ["400 PERMISSION DENIED"]
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=pause "
               r"instance=web1 rc=0 ms=\d+$", since=mark)
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=unpause "
               r"instance=web1 rc=5 ms=\d+$", since=mark)
    d.wait_log(r"^control peer=127\.0\.0\.1 user=ro verb=destroy "
               r"instance=web1 rc=denied ms=\d+$", since=mark)
    # exactly one audit line per control command
    lines = d.grep(r"^control ", since=mark)
    assert len(lines) == 4, lines


def test_audit_from_other_peer(d):
    mark = d.mark()
    with d.session("admin", source="127.0.0.9") as c:
        ok(c.cmd("start db1"))
    d.wait_log(r"^control peer=127\.0\.0\.9 user=admin verb=(start|create) "
               r"instance=db1 rc=0 ms=\d+$", since=mark)


@pytest.fixture(scope="module")
def dn(module_factory):
    return module_factory(toolstack="xl", require_toolstack=True,
                          server={"anonymous_read": "no"},
                          users={"ro": {"readonly": "yes"},
                                 "lim": {"instances": "web1"}})


def test_anonymous_read_no(dn):
    n = dn.ncalls()
    with dn.session() as c:
        for req in ("list available", "list running", "status web1",
                    "ip web1", "LIST AVAILABLE", "status nosuch",
                    "pause web1"):
            assert c.cmd(req) == ["400 NOT AUTHENTICATED"], req
        # what needs no account still works
        assert c.cmd("whoami")[1] == "anonymous"
        assert c.cmd("version")[0] == "200 OK"
        assert c.cmd("help")[0] == "200 OK"
        assert c.cmd("list foo") == ["400 USAGE: list available|running"]
        assert dn.ncalls() == n
        ok(c.cmd("auth ro " + PASSWORDS["ro"], timeout=30))
        assert body(c.cmd("list available")) == ALL
        ok(c.cmd("list running"))
        assert c.cmd("pause web1") == ["400 PERMISSION DENIED"]
        assert c.cmd("quit") == ["200 OK", "300 BYE"]
    with dn.session("lim") as c:
        assert body(c.cmd("list available")) == ["web1"]
