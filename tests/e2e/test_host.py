"""`info`, `mem-set` and `vcpu-set` (DESIGN.md 3): what the toolstack is
asked, what the client sees, and that a bad number never reaches the
toolstack."""

import os

import pytest

from conftest import body, ok

INFO_KEYS = ["host", "release", "xen_version", "nr_cpus", "total_memory",
             "free_memory", "instances_running"]


@pytest.fixture(params=["xl", "xm"])
def d(request, daemon_factory, users_all):
    return daemon_factory(users=users_all, toolstack=request.param,
                          require_toolstack=True)


def info(c):
    lines = body(c.cmd("info"))
    assert [ln.split(": ", 1)[0] for ln in lines] == INFO_KEYS, lines
    return dict(ln.split(": ", 1) for ln in lines)


def test_info_keys_order_and_values(d):
    with d.session("admin") as c:
        v = info(c)
        assert v["host"] == os.uname().nodename
        for k in ("nr_cpus", "total_memory", "free_memory",
                  "instances_running"):
            assert v[k].isdigit(), (k, v[k])
        assert v["xen_version"].count(".") >= 2, v["xen_version"]
        assert v["instances_running"] == "0"
        free = int(v["free_memory"])
        body(c.cmd("start web1"))
        body(c.cmd("start db1"))
        v = info(c)
        assert v["instances_running"] == "2"
        # web1 and db1 take their memory from the host's
        assert int(v["free_memory"]) < free
    assert d.argvs_since(0)[0][1:] == ["info"]


def test_info_counts_only_what_the_account_sees(d):
    with d.session("admin") as c:
        body(c.cmd("start web2"))
        body(c.cmd("start db1"))
    with d.session("lim") as c:       # lim: web1 db1
        assert info(c)["instances_running"] == "1"


def test_info_needs_read(daemon_factory, users_all):
    d = daemon_factory(users=users_all, server={"anonymous_read": "no"},
                       require_toolstack=True)
    n = d.ncalls()
    assert d.ask("info") == ["400 NOT AUTHENTICATED"]
    assert d.ask("info now") == ["400 USAGE: info"]
    assert d.ncalls() == n


def running(c, name):
    for ln in body(c.cmd("list running")):
        if ln.split()[0] == name:
            return dict(kv.split("=", 1) for kv in ln.split()[1:])
    return None


def test_mem_set_and_vcpu_set(d):
    with d.session("admin") as c:
        body(c.cmd("start db1"))                # memory 1024, vcpus 4
        n = d.ncalls()
        ok(c.cmd("mem-set db1 512"))
        assert d.argvs_since(n) == [[d.tool, "mem-set", "db1", "512m"]]
        assert running(c, "db1")["mem"] == "512"
        n = d.ncalls()
        ok(c.cmd("vcpu-set db1 2"))
        assert d.argvs_since(n) == [[d.tool, "vcpu-set", "db1", "2"]]
        assert running(c, "db1")["vcpus"] == "2"
    line = d.wait_log(r"^control peer=127\.0\.0\.1 user=admin "
                      r"verb=vcpu-set instance=db1 rc=0 ms=\d+$")
    assert line


def test_toolstack_refusal_is_toolstack_failed(d):
    with d.session("admin") as c:
        # not running: the toolstack says no, and we say what it said
        r = c.cmd("mem-set web1 256")
        assert r[0].startswith("400 TOOLSTACK FAILED: "), r


BAD_MEM = ["abc", "-1", "+5", "0x10", "1e3", "4194305", "15", "12345678",
           "0", "", "5m", "1.5", "\u0661\u0662"]
BAD_CPU = ["abc", "-1", "+5", "0x10", "1e3", "513", "0", "12345678", "2 ",
           "01e"]


def test_bad_numbers_never_reach_the_toolstack(d):
    with d.session("admin") as c:
        body(c.cmd("start web1"))
        n = d.ncalls()
        for bad in BAD_MEM:
            if bad == "":
                continue
            assert c.cmd("mem-set web1 " + bad) == \
                ["400 USAGE: mem-set NAME MIB"], bad
        for bad in BAD_CPU:
            if bad.strip() != bad:
                continue
            assert c.cmd("vcpu-set web1 " + bad) == \
                ["400 USAGE: vcpu-set NAME N"], bad
        assert c.cmd("mem-set web1") == ["400 USAGE: mem-set NAME MIB"]
        assert c.cmd("vcpu-set web1 1 2") == ["400 USAGE: vcpu-set NAME N"]
        # the bounds themselves are fine
        ok(c.cmd("mem-set web1 16"))
        ok(c.cmd("vcpu-set web1 1"))
        assert len(d.calls_since(n)) == 2


def test_mem_set_permissions(d):
    n = d.ncalls()
    assert d.ask("mem-set web1 256") == ["400 NOT AUTHENTICATED"]
    assert d.ask("vcpu-set web1 1", user="ro") == ["400 PERMISSION DENIED"]
    assert d.ask("mem-set web2 256", user="lim") == ["400 NO SUCH INSTANCE"]
    assert d.ask("mem-set Domain-0 256", user="admin") == \
        ["400 NO SUCH INSTANCE"]
    assert d.ncalls() == n
