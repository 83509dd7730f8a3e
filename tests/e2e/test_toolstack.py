"""Instance commands through the simulated toolstack, in both
personalities (xl and xm): exact replies, exact argv in the fake's call log,
the child's descriptors and environment, every injected failure."""

import os
import re
import time

import pytest

from conftest import (IO_TIMEOUT, LONG_NAME, SLOW, VALGRIND, VERSION, body,
                      ok, resolve_set, wait_for)

CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
STATES = ["running", "blocked", "paused", "shutdown", "crashed", "dying"]


@pytest.fixture(scope="module", params=["xl", "xm"])
def d(request, module_factory):
    return module_factory(toolstack=request.param, require_toolstack=True,
                          users={"admin": {}})


@pytest.fixture(autouse=True)
def reset(d):
    """Each test starts with no guest domain and no injection."""
    yield
    d.clear_inject()
    dom = d.state / "domains"
    if dom.is_dir():
        for p in dom.iterdir():
            p.unlink()


@pytest.fixture
def c(d):
    with d.session("admin") as cl:
        yield cl


def cfg(d, name):
    return str(d.xen_dir / name)


def assert_clean_call(call):
    """stdin /dev/null, no socket, only the pipes, clean env and mask."""
    fds = call["fds"]
    assert fds.get("0") == "/dev/null", fds
    assert not [t for t in fds.values() if t.startswith("socket:")], fds
    if not VALGRIND:
        assert sorted(fds) == ["0", "1", "2"], fds
        assert fds["1"].startswith("pipe:") and fds["2"].startswith("pipe:")
    if "env" in call:
        # PATH and LANG as DESIGN 5 says; LC_ALL=C is a harmless extra
        env = dict(call["env"])
        assert env.pop("LC_ALL", "C") == "C", call["env"]
        assert env == CLEAN_ENV, call["env"]
    if "sigblk" in call:
        assert int(call["sigblk"], 16) == 0, call["sigblk"]


def one_call(d, n, argv):
    calls = d.calls_since(n)
    assert [x["argv"] for x in calls] == [argv]
    assert_clean_call(calls[0])
    return calls[0]


def running_lines(c):
    return body(c.cmd("list running"))


def domid(d, name):
    return int(d.domains()[name]["domid"])


def start(d, c, name, file):
    r = c.cmd("start " + name)
    assert r[0] == "200 OK", r
    return domid(d, name)


# ------------------------------------------------------------ read commands

def test_list_running_only_domain0(d, c):
    n = d.ncalls()
    ok(c.cmd("list running"))
    one_call(d, n, [d.tool, "list"])


def test_start_exact_argv_and_reply(d, c):
    n = d.ncalls()
    mark = d.mark()
    r = c.cmd("start web1")
    call = one_call(d, n, [d.tool, "create", cfg(d, "web1.cfg")])
    did = domid(d, "web1")
    if d.tool == "xl":
        assert r == ["200 OK", "300 DONE"]
    else:
        # xm's stdout on create is the body
        assert r == ["200 OK", 'Using config file "%s".' % cfg(d, "web1.cfg"),
                     "Started domain web1 (id=%d)" % did, "300 DONE"]
    assert call["argv"][2].startswith("/")
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=(start|create) "
               r"instance=web1 rc=0 ms=\d+$", since=mark)
    assert running_lines(c) == [
        "web1 id=%d mem=512 vcpus=2 state=running cpu=0.0" % did]


@pytest.mark.parametrize("word", ["boot", "create", "START", "Boot"])
def test_start_aliases(d, c, word):
    n = d.ncalls()
    r = c.cmd("%s db1" % word)
    assert r[0] == "200 OK" and r[-1] == "300 DONE", r
    one_call(d, n, [d.tool, "create", cfg(d, "db1.cfg")])
    assert "db1" in d.domains()


def test_status_stopped(d, c):
    def ipline(name):
        addrs = resolve_set(name)
        return addrs

    for name, file, mem, vcpus in [("web1", "web1.cfg", "512", "2"),
                                   ("web2", "web2.cfg", "256", "-"),
                                   ("bare", "bare.cfg", "-", "-"),
                                   ("db1", "db1.cfg", "1024", "4")]:
        n = d.ncalls()
        b = body(c.cmd("status " + name))
        assert b[:6] == ["name: " + name, "config: " + cfg(d, file),
                         "state: stopped", "id: -", "mem: " + mem,
                         "vcpus: " + vcpus], b
        assert len(b) == 7 and b[6].startswith("ip: "), b
        want = ipline(name)
        got = b[6][4:]
        if want:
            assert set(got.split(" ")) == want
        else:
            assert got == "unknown"
        # one toolstack call, a `list'
        argvs = d.argvs_since(n)
        assert len(argvs) == 1 and argvs[0][:2] == [d.tool, "list"], argvs


def test_status_running_from_toolstack(d, c):
    did = start(d, c, "web1", "web1.cfg")
    d.set_domain("web1", mem="777", vcpus="3", cpu_time="12.5")
    n = d.ncalls()
    b = body(c.cmd("status web1"))
    assert b[:6] == ["name: web1", "config: " + cfg(d, "web1.cfg"),
                     "state: running", "id: %d" % did, "mem: 777",
                     "vcpus: 3"], b
    assert len(d.argvs_since(n)) == 1


def test_status_localhost_ip(d, c):
    b = body(c.cmd("status localhost"))
    want = resolve_set("localhost")
    assert want, "localhost does not resolve here"
    assert b[-1].startswith("ip: ")
    got = b[-1][4:].split(" ")
    assert len(got) == len(set(got)) and set(got) == want


def test_ip(d, c):
    n = d.ncalls()
    got = body(c.cmd("ip localhost"))
    assert got and len(got) == len(set(got))
    assert set(got) == resolve_set("localhost")
    got = body(c.cmd("ip web1"))
    assert set(got) == resolve_set("web1") and len(got) == len(set(got))
    assert d.ncalls() == n          # ip needs no toolstack
    assert c.cmd("ip nosuch") == ["400 NO SUCH INSTANCE"]


def test_ip_unresolvable_empty_body(d, c):
    # .invalid never resolves (RFC 6761): an empty body, "ip: unknown"
    p = d.write_cfg("nx.cfg", 'name = "nothing.invalid"\nmemory = 32\n')
    try:
        assert c.cmd("ip nothing.invalid", timeout=30) == ["200 OK",
                                                           "300 DONE"]
        assert body(c.cmd("status nothing.invalid", timeout=30))[-1] == \
            "ip: unknown"
        assert c.cmd("version")[1] == "argo-server " + VERSION
    finally:
        p.unlink()


def test_list_running_states(d, c):
    did = start(d, c, "web1", "web1.cfg")
    cases = [({"state": "running"}, "running"),
             ({"state": "blocked"}, "blocked"),
             ({"state": "runnable"}, "running"),
             ({"state": "running", "pause_count": "1"}, "paused"),
             ({"state": "blocked", "pause_count": "2"}, "paused"),
             ({"state": "shutdown", "pause_count": "0",
               "shutdown_reason": "0"}, "shutdown"),
             ({"state": "shutdown", "shutdown_reason": "1"}, "shutdown"),
             ({"state": "crashed", "shutdown_reason": "3"}, "crashed"),
             ({"state": "dying"}, "dying")]
    for fields, want in cases:
        d.set_domain("web1", **fields)
        assert running_lines(c) == [
            "web1 id=%d mem=512 vcpus=2 state=%s cpu=0.0" % (did, want)], \
            fields
        b = body(c.cmd("status web1"))
        assert b[2] == "state: " + want, (fields, b)


def test_list_running_long_and_foreign_names(d, c, tmp_path):
    did = start(d, c, LONG_NAME, "long.cfg")
    # a domain started outside argo, with a name longer than 40
    foreign = "x" * 30 + ".not-an-instance.example.org"
    p = tmp_path / "foreign.cfg"
    p.write_text('name = "%s"\nmemory = 64\nvcpus = 1\n' % foreign)
    r = d.fake("create", str(p))
    assert r.returncode == 0, r.stderr
    fid = domid(d, foreign)
    d.set_domain(foreign, cpu_time="3.5")
    lines = running_lines(c)
    assert lines == [
        "%s id=%d mem=128 vcpus=1 state=running cpu=0.0" % (LONG_NAME, did),
        "%s id=%d mem=64 vcpus=1 state=running cpu=3.5" % (foreign, fid)]
    assert not [ln for ln in lines if ln.startswith("Domain-0")]


def test_managed_halted_domain_is_not_running(d, c):
    # xm lists a xend-managed domain that is not running with a blank ID
    # (FAKE-XEN 7.1): not a running domain, the instance is stopped
    start(d, c, "web1", "web1.cfg")
    start(d, c, "db1", "db1.cfg")
    d.set_domain("web1", managed="yes", state="halted")
    if d.tool == "xm":
        out = d.fake("list").stdout
        assert re.search(r"^web1 +512 +2 +0\.0$", out, re.M), out
    lines = running_lines(c)
    assert [ln.split()[0] for ln in lines] == ["db1"], lines
    b = body(c.cmd("status web1"))
    assert b[2:6] == ["state: stopped", "id: -", "mem: 512", "vcpus: 2"], b


def test_domain0_cpu_does_not_matter(d, c):
    # Domain-0 is never listed, whatever its figures
    (d.state / "dom0").write_text("mem=2048\nvcpus=8\ncpu_time=99999.9\n")
    try:
        ok(c.cmd("list running"))
    finally:
        (d.state / "dom0").unlink()


# ------------------------------------------------------------ control verbs

def test_pause_unpause(d, c):
    did = start(d, c, "web1", "web1.cfg")
    n = d.ncalls()
    ok(c.cmd("pause web1"))
    one_call(d, n, [d.tool, "pause", "web1"])
    assert running_lines(c)[0].endswith("state=paused cpu=0.0")
    n = d.ncalls()
    ok(c.cmd("unpause web1"))
    one_call(d, n, [d.tool, "unpause", "web1"])
    assert running_lines(c) == [
        "web1 id=%d mem=512 vcpus=2 state=running cpu=0.0" % did]


def test_shutdown(d, c):
    start(d, c, "web1", "web1.cfg")
    start(d, c, "db1", "db1.cfg")
    n = d.ncalls()
    # xl writes "Shutting down domain N" on stderr: not a failure
    ok(c.cmd("shutdown web1"))
    one_call(d, n, [d.tool, "shutdown", "web1"])
    assert [ln.split()[0] for ln in running_lines(c)] == ["db1"]


def test_reboot_new_domid(d, c):
    did = start(d, c, "web1", "web1.cfg")
    n = d.ncalls()
    ok(c.cmd("reboot web1"))
    one_call(d, n, [d.tool, "reboot", "web1"])
    lines = running_lines(c)
    assert len(lines) == 1
    m = re.match(r"^web1 id=(\d+) mem=512 vcpus=2 state=running cpu=0\.0$",
                 lines[0])
    assert m and int(m.group(1)) != did, lines


def test_destroy(d, c):
    start(d, c, "web1", "web1.cfg")
    n = d.ncalls()
    ok(c.cmd("destroy web1"))
    one_call(d, n, [d.tool, "destroy", "web1"])
    assert "web1" not in d.domains()
    ok(c.cmd("list running"))


def test_start_twice_fails(d, c):
    did = start(d, c, "web1", "web1.cfg")
    mark = d.mark()
    r = c.cmd("start web1")
    if d.tool == "xl":
        assert re.match(r'^400 TOOLSTACK FAILED: libxl: error: [^ ]+: '
                        r'Domain \d+:Domain with name "web1" already '
                        r'exists\.$', r[0]), r
        rc = 3
    else:
        assert r == ["400 TOOLSTACK FAILED: Error: Domain 'web1' already "
                     "exists with ID '%d'" % did]
        rc = 1
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=(start|create) "
               r"instance=web1 rc=%d ms=\d+$" % rc, since=mark)


def test_control_stopped_instance(d, c):
    mark = d.mark()
    r = c.cmd("pause web1")
    if d.tool == "xl":
        assert r == ["400 TOOLSTACK FAILED: web1 is an invalid domain "
                     "identifier (rc=-6)"]
        rc = 1
    else:
        # xm's exit status 3 for an unknown domain
        assert r == ["400 TOOLSTACK FAILED: Error: Domain 'web1' does not "
                     "exist."]
        rc = 3
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=pause "
               r"instance=web1 rc=%d ms=\d+$" % rc, since=mark)


def test_unpause_running_xl_error_but_exit_0(d, c):
    start(d, c, "web1", "web1.cfg")
    # xl prints a libxl error and exits 0; xm is silent: both succeed
    ok(c.cmd("unpause web1"))


# ------------------------------------------------------------ names

@pytest.mark.parametrize("req", [
    "start ../../etc/passwd", "pause Domain-0", "pause 0", "destroy 0",
    "shutdown -h", "reboot --help", "start web1.cfg", "start /etc/passwd",
    "pause WEB1", "destroy web1;", "unpause *", "status Domain-0",
    "status 0", "ip Domain-0", "start %s" % "web1/../web1", "pause 00",
    "destroy ..", "pause .", "status -h",
])
def test_no_such_instance_no_call(d, c, req):
    n = d.ncalls()
    assert c.cmd(req) == ["400 NO SUCH INSTANCE"]
    assert d.ncalls() == n


def test_absolute_cfg_path_when_started_elsewhere(d, c):
    # the daemon's cwd does not matter: the argv holds the absolute path
    n = d.ncalls()
    c.cmd("start web2")
    assert d.argvs_since(n)[0] == [d.tool, "create", cfg(d, "web2.cfg")]
    assert os.path.isabs(d.argvs_since(n)[0][2])


# ------------------------------------------------------------ failures

def test_fail_with_stderr(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", rc="2", stderr="boom: first line\nsecond line\n")
    mark = d.mark()
    assert c.cmd("pause web1") == ["400 TOOLSTACK FAILED: boom: first line"]
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=pause "
               r"instance=web1 rc=2 ms=\d+$", since=mark)
    # the whole stderr goes to the log, each line as readable text
    d.wait_log(r"^pause: stderr: boom: first line$", since=mark)
    d.wait_log(r"^pause: stderr: second line$", since=mark)


def test_fail_stderr_logged_sanitised(d, c):
    """Control bytes in the toolstack's stderr never reach the log raw;
    blanks stay blanks, so the line reads as the tool wrote it."""
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", rc="1", stderr=b"bad\x1b[31m red\x07\tx\r\n")
    mark = d.mark()
    assert c.cmd("pause web1")[0].startswith("400 TOOLSTACK FAILED: bad")
    d.wait_log(r"^pause: stderr: bad\?\[31m red\?\?x\??$", since=mark)


def test_fail_without_stderr(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("destroy", rc="4")
    assert c.cmd("destroy web1") == ["400 TOOLSTACK FAILED: exit status 4"]
    assert "web1" in d.domains()


def test_fail_summary_skips_chatter_and_blank_lines(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("shutdown", rc="1", stderr="Shutting down domain 1\n"
             "Waiting for 1 domains\n\n   \nthe real problem\nmore\n")
    assert c.cmd("shutdown web1") == [
        "400 TOOLSTACK FAILED: the real problem"]
    d.clear_inject()
    d.inject("reboot", rc="7", stderr="Parsing config from /x.cfg\n"
             "Rebooting domain 3\n")
    assert c.cmd("reboot web1") == ["400 TOOLSTACK FAILED: exit status 7"]


def test_fail_summary_sanitised(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", rc="1", stderr=b"bad\x1b[31m red\x07\tx\r\n")
    r = c.cmd("pause web1")
    assert len(r) == 1 and r[0].startswith("400 TOOLSTACK FAILED: bad")
    assert "\x1b" not in r[0] and "\x07" not in r[0], r


@pytest.mark.parametrize("sig,num", [("SIGKILL", 9), ("SIGABRT", 6),
                                     ("SIGSEGV", 11)])
def test_killed_by_signal(d, c, sig, num):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", rc=sig)
    mark = d.mark()
    assert c.cmd("pause web1") == ["400 TOOLSTACK FAILED: killed by signal %d"
                                   % num]
    d.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=pause "
               r"instance=web1 rc=signal-%d ms=\d+$" % num, since=mark)
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_stderr_on_success_is_not_failure(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", stderr="libxl: warning: something harmless\n")
    ok(c.cmd("pause web1"))


def test_xl_create_chatter_is_not_failure(d, c):
    # xl create writes "Parsing config from PATH" on stderr and exits 0
    r = c.cmd("start web2")
    assert r[0] == "200 OK" and r[-1] == "300 DONE", r
    assert not [ln for ln in r if "Parsing config" in ln]


def test_reply_code_lines_escaped(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", stdout=b"200 OK\n300 DONE\n400 NO\n300 BYE\nplain\n"
             b" 200 indented\nctl\x01\x1b[0m\ttab\n200OK\n")
    assert c.cmd("pause web1") == [
        "200 OK", " 200 OK", " 300 DONE", " 400 NO", " 300 BYE", "plain",
        " 200 indented", "ctl??[0m\ttab", "200OK", "300 DONE"]
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_megabyte_of_output_bounded(d, c):
    start(d, c, "web1", "web1.cfg")
    line = b"y" * 99 + b"\n"
    d.inject("pause", stdout=line * 10486)
    t0 = time.monotonic()
    r = c.cmd("pause web1", timeout=IO_TIMEOUT * 2)
    assert r[0] == "200 OK" and r[-1] == "300 DONE"
    size = sum(len(x) + 1 for x in r)
    assert 0 < size <= 256 * 1024, size
    assert r[1:-1], r[:3]
    assert all(set(x) <= {"y"} and len(x) <= 99 for x in r[1:-1]), r[1:4]
    assert c.cmd("version")[1] == "argo-server " + VERSION
    assert time.monotonic() - t0 < 5 * SLOW
    assert wait_for(lambda: not d.fake_procs(), 3)


def test_megabyte_of_stderr_one_line(d, c):
    start(d, c, "web1", "web1.cfg")
    d.inject("pause", rc="1", stderr=b"E" * (1 << 20))
    r = c.cmd("pause web1", timeout=IO_TIMEOUT * 2)
    assert len(r) == 1 and r[0].startswith("400 TOOLSTACK FAILED: EEE"), r[:1]
    assert len(r[0]) <= 4096
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_list_output_garbage(d, c):
    d.inject("list", stdout=b"nonsense\n", rc="0")
    r = c.cmd("list running")
    # never a crash; either an error or a reply without the garbage
    assert r[0].startswith("400 TOOLSTACK FAILED") or r[0] == "200 OK", r
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_calls_all_clean(d):
    calls = [x for x in d.calls() if "ARGO_E2E_DIRECT" not in x.get("env", {})]
    assert len(calls) > 30
    for call in calls:
        assert_clean_call(call)
        for a in call["argv"][1:]:
            assert not a.startswith("-") and not a.isdigit() and \
                a != "Domain-0", call["argv"]


def test_no_fake_left_running(d):
    assert wait_for(lambda: not d.fake_procs(), 3), d.fake_procs()


# ------------------------------------------------------------ timeout

def zombies_under(parents):
    """Zombie children of PARENTS."""
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                st = f.read()
        except OSError:
            continue
        fields = st[st.rindex(")") + 2:].split()
        if fields[0] == "Z" and int(fields[1]) in parents:
            out.append(int(p))
    return out


@pytest.fixture(scope="module")
def dt(request, module_factory, d):
    return module_factory(toolstack=d.tool, require_toolstack=True,
                          users={"admin": {}},
                          server={"toolstack_timeout": "1"})


def test_toolstack_timeout(dt):
    with dt.session("admin") as c:
        start(dt, c, "web1", "web1.cfg")
        dt.inject("pause", sleep="30")
        mark = dt.mark()
        t0 = time.monotonic()
        r = c.cmd("pause web1", timeout=10)
        took = time.monotonic() - t0
        assert r == ["400 TOOLSTACK TIMEOUT"]
        assert 0.9 <= took <= 1 + 3, took
        dt.wait_log(r"^control peer=127\.0\.0\.1 user=admin verb=pause "
                    r"instance=web1 rc=timeout ms=\d+$", since=mark)
        # no process of the fake left, and no zombie of it
        assert wait_for(lambda: not dt.fake_procs(), 2), dt.fake_procs()
        assert wait_for(lambda: not zombies_under(dt.workers()), 2)
        dt.clear_inject()
        ok(c.cmd("pause web1"))
        # a `list' that hangs: status and list running time out too
        dt.inject("list", sleep="30")
        t0 = time.monotonic()
        assert c.cmd("list running", timeout=10) == ["400 TOOLSTACK TIMEOUT"]
        assert c.cmd("status web1", timeout=10) == ["400 TOOLSTACK TIMEOUT"]
        assert time.monotonic() - t0 <= 2 * (1 + 3)
        assert wait_for(lambda: not dt.fake_procs(), 2), dt.fake_procs()
        dt.clear_inject()
        assert c.cmd("version")[1] == "argo-server " + VERSION
