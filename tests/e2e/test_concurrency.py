"""Eight clients controlling different instances at once (both
personalities): every reply right, `list running` consistent."""

import re
import threading

import pytest

from conftest import IO_TIMEOUT, body, ok

N = 8
NAMES = ["vm%d" % i for i in range(1, N + 1)]
CFGS = {"%s.cfg" % n: 'name = "%s"\nmemory = %d\nvcpus = %d\n' %
        (n, 64 * i, i) for i, n in enumerate(NAMES, 1)}


@pytest.fixture(scope="module", params=["xl", "xm"])
def d(request, module_factory):
    return module_factory(toolstack=request.param, require_toolstack=True,
                          cfgs=CFGS, users={"admin": {}},
                          server={"workers": "2"})


def all_at_once(d, fn):
    """Run fn(i, client) in N threads, one session each (distinct source
    addresses), started together; return the results by index."""
    res = [None] * N
    errs = []
    barrier = threading.Barrier(N, timeout=IO_TIMEOUT * 6)
    clients = [d.session("admin", source="127.0.0.%d" % (20 + i))
               for i in range(N)]

    def run(i):
        try:
            barrier.wait()
            res[i] = fn(i, clients[i])
        except BaseException as e:
            errs.append("%d: %r" % (i, e))

    ths = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(IO_TIMEOUT * 12)
    for c in clients:
        c.close()
    assert not errs, errs
    return res


def parse_running(lines):
    out = {}
    for ln in lines:
        m = re.match(r"^(\S+) id=(\d+) mem=(\d+) vcpus=(\d+) state=(\w+) "
                     r"cpu=[\d.]+$", ln)
        assert m, ln
        assert m.group(1) not in out
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)),
                           int(m.group(4)), m.group(5))
    return out


def check_all(d, state):
    with d.session() as c:
        run = parse_running(body(c.cmd("list running")))
    assert sorted(run) == sorted(NAMES)
    ids = [v[0] for v in run.values()]
    assert len(set(ids)) == N
    for i, n in enumerate(NAMES, 1):
        assert run[n][1:] == (64 * i, i, state), (n, run[n])


def test_eight_clients(d):
    n0 = d.ncalls()
    t = d.tool

    def control(verb):
        def fn(i, c):
            return c.cmd("%s %s" % (verb, NAMES[i]), timeout=IO_TIMEOUT * 6)
        return fn

    res = all_at_once(d, control("start"))
    for i, r in enumerate(res):
        if t == "xl":
            assert r == ["200 OK", "300 DONE"], r
        else:
            assert r[0] == "200 OK" and r[-1] == "300 DONE", r
            assert re.match(r"^Started domain %s \(id=\d+\)$" % NAMES[i],
                            r[-2]), r
    check_all(d, "running")

    # reads and writes mixed: each client pauses its instance and lists
    def pause_and_list(i, c):
        r1 = c.cmd("pause %s" % NAMES[i], timeout=IO_TIMEOUT * 6)
        r2 = c.cmd("list running", timeout=IO_TIMEOUT * 6)
        return r1, r2

    for r1, r2 in all_at_once(d, pause_and_list):
        ok(r1)
        run = parse_running(body(r2))
        # a consistent snapshot: all eight, each running or paused
        assert sorted(run) == sorted(NAMES)
        assert {v[3] for v in run.values()} <= {"running", "paused"}
    check_all(d, "paused")

    for r in all_at_once(d, control("destroy")):
        ok(r)
    with d.session() as c:
        ok(c.cmd("list running"))

    argvs = d.argvs_since(n0)
    for verb in ("create", "pause", "destroy"):
        got = sorted(a[2] for a in argvs if a[1] == verb)
        want = sorted(str(d.xen_dir / ("%s.cfg" % n)) if verb == "create"
                      else n for n in NAMES)
        assert got == want, (verb, got)
