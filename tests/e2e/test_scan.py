"""The instance scan end to end (DESIGN section 3.1): which files count,
which names are accepted, hostile names never listed and never passed to
the toolstack, changes visible at the next request."""

import contextlib
import os
import re
import time

import pytest

from conftest import IO_TIMEOUT, VALGRIND, body, children_of, ok

NAME64 = "n" * 60 + ".org"
NAME65 = "n" * 61 + ".org"

GOOD = {
    "a.cfg": 'name = "alpha"\nmemory = 96\nvcpus = 3\n',
    "b.cfg": '# name = "commented"\nname = \'beta\'  # single quotes\n',
    "crlf.cfg": 'name = "crlf-ok"\r\nmemory = 64\r\n',
    "last.cfg": 'name = "first"\nname = "second"\n',
    "semi.cfg": 'memory = 64; name = "semi"; vcpus = 1\n',
    "multi.cfg": 'disk = [ "phy:/dev/x,xvda,w",\n  # a comment\n'
                 '  "file:/y,xvdb,r", ]\nname = "multi"\n'
                 'vif = [ [ "a", "b" ], [ ], ]\n',
    "chars.cfg": 'name = "A-z_0.9:+x"\n',
    "max.cfg": 'name = "%s"\n' % NAME64,
    "Upper.cfg": 'name="Zed"\n',
    "dup1.cfg": 'name = "dup"\n',
    "dup2.cfg": 'name = "dup"\n',
    "digits-ok.cfg": 'name = "1e3"\n',
    "hexish.cfg": 'name = "deadbeef-cafe"\n',
    "plus-ok.cfg": 'name = "+3a"\n',
}
GOOD_NAMES = sorted(["alpha", "beta", "crlf-ok", "second", "semi", "multi",
                     "A-z_0.9:+x", NAME64, "Zed", "dup", "1e3",
                     "deadbeef-cafe", "+3a", "linked"])

# files skipped (and logged) for their name
BAD = {
    "h.cfg": 'name = "-h"\n',
    "zero.cfg": 'name = "0"\n',
    "digits.cfg": 'name = "12345"\n',
    "dotdot.cfg": 'name = ".."\n',
    "dot.cfg": 'name = "."\n',
    "slash.cfg": 'name = "../x"\n',
    "space.cfg": 'name = "a b"\n',
    "seminame.cfg": 'name = "a;b"\n',
    "dollar.cfg": 'name = "$(reboot)"\n',
    "empty.cfg": 'name = ""\n',
    "long65.cfg": 'name = "%s"\n' % NAME65,
    "list.cfg": 'name = [ "listed" ]\n',
    "number.cfg": 'name = 42\n',
    "noname.cfg": 'memory = 128\n',
    "laterbad.cfg": 'name = "goodfirst"\nname = "-bad"\n',
    "utf8.cfg": 'name = "w\u00e9b"\n',
    "newline.cfg": 'name = "a\\nb"\n',
    "syntax.cfg": 'name = "unterminated\nmemory = 1\n',
    # Domain-0 to xm under other names: int("+0"), and its UUID
    "plus0.cfg": 'name = "+0"\n',
    "plus00.cfg": 'name = "+00"\n',
    "uuid0.cfg": 'name = "00000000-0000-0000-0000-000000000000"\n',
    # another domain to xm (int("+3"), a UUID) or xl (strtoul("+3"))
    "plus3.cfg": 'name = "+3"\n',
    "uuid.cfg": 'name = "6f2c1a0e-94b1-4c37-8c1a-2b7d5e0f9a11"\n',
    "uuid32.cfg": 'name = "6f2c1a0e94b14c378c1a2b7d5e0f9a11"\n',
}
HOSTILE_WORDS = ["-h", "0", "12345", "..", ".", "../x", "a;b", "$(reboot)",
                 "listed", "goodfirst", "-bad", "hidden", "bak", "tilde",
                 "upper", "conf", "inner", "huge", "Domain-0", "commented",
                 "first", NAME65, "hex\\x2dname", "dangling", "fifo",
                 "+0", "+00", "00000000-0000-0000-0000-000000000000",
                 "+3", "6f2c1a0e-94b1-4c37-8c1a-2b7d5e0f9a11",
                 "6f2c1a0e94b14c378c1a2b7d5e0f9a11"]


@pytest.fixture(scope="module")
def d(module_factory, tmp_path_factory):
    cfgs = dict(GOOD)
    cfgs.update(BAD)
    cfgs.update({
        ".hidden.cfg": 'name = "hidden"\n',
        "x.cfg.bak": 'name = "bak"\n',
        "x.cfg~": 'name = "tilde"\n',
        "X.CFG": 'name = "upper"\n',
        "x.conf": 'name = "conf"\n',
        "dom0.cfg": 'name = "Domain-0"\n',
    })
    dm = module_factory(toolstack="xl", require_toolstack=True, cfgs=cfgs,
                        users={"admin": {}}, start=False)
    x = dm.xen_dir
    (x / "dir.cfg").mkdir()
    (x / "sub").mkdir()
    (x / "sub" / "inner.cfg").write_text('name = "inner"\n')
    os.mkfifo(x / "fifo.cfg")
    os.symlink("/nonexistent/dangling.cfg", x / "dangling.cfg")
    os.symlink("loop.cfg", x / "loop.cfg")
    out = tmp_path_factory.mktemp("outside")
    (out / "real.cfg").write_text('name = "linked"\nmemory = 48\n')
    os.symlink(out / "real.cfg", x / "link.cfg")
    with open(x / "huge.cfg", "w") as f:
        f.write('name = "huge"\n')
        f.write(("#" * 1023 + "\n") * 4096)      # 4 MiB
    dm.start()
    return dm


def test_list_available_exact(d):
    t0 = time.monotonic()
    assert body(d.ask("list available")) == GOOD_NAMES
    # a FIFO never blocks the scan
    assert time.monotonic() - t0 < 3


def test_skipped_files_logged(d):
    d.ask("list available")
    for f in list(BAD) + ["huge.cfg"]:
        path = str(d.xen_dir / f)
        assert d.grep(r"^skipping %s: \S" % path.replace(".", r"\.")), f


def test_skipped_logged_once(d):
    with d.session() as c:
        for _ in range(5):
            c.cmd("list available")
    n = len(d.grep(r"^skipping %s: " % str(d.xen_dir / "h.cfg")))
    with d.session() as c:
        for _ in range(5):
            c.cmd("list available")
    assert len(d.grep(r"^skipping %s: " % str(d.xen_dir / "h.cfg"))) == n


def test_duplicate_first_path_wins(d):
    b = body(d.ask("status dup"))
    assert b[1] == "config: " + str(d.xen_dir / "dup1.cfg")
    warn = [m for m in d.grep(r"dup2\.cfg") if "dup1.cfg" in m]
    assert warn, d.log()[-2000:]


def test_file_values_in_status(d):
    b = body(d.ask("status alpha"))
    assert b[:6] == ["name: alpha", "config: " + str(d.xen_dir / "a.cfg"),
                     "state: stopped", "id: -", "mem: 96", "vcpus: 3"]
    b = body(d.ask("status crlf-ok"))
    assert b[4:6] == ["mem: 64", "vcpus: -"]
    b = body(d.ask("status linked"))
    assert b[1] in ("config: " + str(d.xen_dir / "link.cfg"),
                    "config: " + os.path.realpath(d.xen_dir / "link.cfg"))
    assert b[4] == "mem: 48"


@pytest.mark.parametrize("word", HOSTILE_WORDS)
def test_hostile_names_are_no_instance(d, word):
    n = d.ncalls()
    with d.session("admin") as c:
        for verb in ("start", "pause", "destroy", "status", "ip"):
            assert c.cmd("%s %s" % (verb, word)) == ["400 NO SUCH INSTANCE"], \
                (verb, word)
    assert d.ncalls() == n


def test_escaped_name(daemon_factory):
    # "hex\x2dname" is hex-name to xl: either decoded and accepted, or
    # refused (skipped and logged); never listed raw.
    dm = daemon_factory(cfgs={"esc.cfg": 'name = "hex\\x2dname"\n'})
    got = body(dm.ask("list available"))
    if got != ["hex-name"]:
        assert got == []
        assert dm.grep(r"^skipping %s: " % str(dm.xen_dir / "esc.cfg"))


def test_words_with_blanks_are_usage(d):
    with d.session("admin") as c:
        assert c.cmd("pause a b") == ["400 USAGE: pause NAME"]


def test_only_scanned_names_reach_toolstack(d):
    n = d.ncalls()
    with d.session("admin") as c:
        for name in GOOD_NAMES:
            c.cmd("start " + name)
            c.cmd("destroy " + name)
    argvs = d.argvs_since(n)
    creates = {a[2] for a in argvs if a[1] == "create"}
    assert str(d.xen_dir / "dup1.cfg") in creates
    assert str(d.xen_dir / "dup2.cfg") not in creates
    assert str(d.xen_dir / "a.cfg") in creates
    destroys = [a[2] for a in argvs if a[1] == "destroy"]
    assert sorted(destroys) == GOOD_NAMES
    for call in d.calls():
        for a in call["argv"][1:]:
            assert a not in HOSTILE_WORDS, call["argv"]
            assert " " not in a and ";" not in a, call["argv"]


def test_changes_visible_next_request(d):
    x = d.xen_dir
    with d.session() as c:
        base = body(c.cmd("list available"))
        (x / "new.cfg").write_text('name = "newcomer"\n')
        assert body(c.cmd("list available")) == sorted(base + ["newcomer"])
        # same size, same second: still seen
        (x / "new.cfg").write_text('name = "newcomes"\n')
        assert body(c.cmd("list available")) == sorted(base + ["newcomes"])
        assert body(c.cmd("status newcomes"))[1] == "config: " + str(
            x / "new.cfg")
        assert c.cmd("status newcomer") == ["400 NO SUCH INSTANCE"]
        # atomic replace by rename
        (x / ".tmp").write_text('name = "renamed"\n')
        os.rename(x / ".tmp", x / "new.cfg")
        assert body(c.cmd("list available")) == sorted(base + ["renamed"])
        # turned bad: dropped and logged
        mark = d.mark()
        (x / "new.cfg").write_text('name = "-x"\n')
        assert body(c.cmd("list available")) == base
        d.wait_log(r"^skipping %s: " % str(x / "new.cfg"), since=mark)
        (x / "new.cfg").unlink()
        assert body(c.cmd("list available")) == base
        # a duplicate removed: the other file takes over
        (x / "dup1.cfg").rename(x / "dup1.off")
        try:
            assert body(c.cmd("status dup"))[1] == "config: " + str(
                x / "dup2.cfg")
        finally:
            (x / "dup1.off").rename(x / "dup1.cfg")
        assert body(c.cmd("status dup"))[1] == "config: " + str(
            x / "dup1.cfg")
        # a subdirectory never counts
        (x / "sub" / "deeper.cfg").write_text('name = "deeper"\n')
        assert body(c.cmd("list available")) == base
    # a new session sees the same
    assert body(d.ask("list available")) == base


def test_empty_xen_dir(daemon_factory):
    dm = daemon_factory(cfgs={})
    ok(dm.ask("list available"))
    assert dm.ask("status x") == ["400 NO SUCH INSTANCE"]


def test_missing_xen_dir(daemon_factory):
    dm = daemon_factory(cfgs={"a.cfg": 'name = "first"\n'})
    assert body(dm.ask("list available")) == ["first"]
    (dm.xen_dir / "a.cfg").unlink()
    dm.xen_dir.rmdir()
    r = dm.ask("list available")
    assert r == ["200 OK", "300 DONE"] or r[0].startswith("400 "), r
    assert dm.ask("status first") == ["400 NO SUCH INSTANCE"]
    dm.xen_dir.mkdir()
    (dm.xen_dir / "a.cfg").write_text('name = "back"\n')
    assert body(dm.ask("list available")) == ["back"]


def test_large_xen_dir(daemon_factory):
    """More entries than one getdents() buffer holds (glibc reads 32 KiB
    at a time): every file counts, none is mistaken for another."""
    cfgs = {"vm-with-a-rather-long-file-name-%04d.cfg" % i:
            'name = "instance-with-a-longish-name-%04d"\n' % i
            for i in range(3000)}
    dm = daemon_factory(cfgs=cfgs)
    mark = dm.mark()
    with dm.client() as c:
        names = body(c.cmd("list available", timeout=IO_TIMEOUT * 4))
    assert names == sorted("instance-with-a-longish-name-%04d" % i
                           for i in range(3000))
    assert not [m for _, m in dm.messages(mark) if "skipping" in m]
    assert body(dm.ask("status instance-with-a-longish-name-2999"))[1] == \
        "config: %s" % (dm.xen_dir /
                        "vm-with-a-rather-long-file-name-2999.cfg")


def test_steady_dir_changes_seen_at_once(daemon_factory, tmp_path):
    """A worker that has seen xen_dir steady reuses its map (inotify says
    nothing changed): every kind of change must still show at the very
    next request on the same session, well within the 1 s full look."""
    dm = daemon_factory(cfgs={"a.cfg": 'name = "alpha"\n',
                              "b.cfg": 'name = "beta"\n'})
    x = dm.xen_dir
    with dm.client() as c:
        def names():
            return body(c.cmd("list available"))
        for _ in range(3):
            assert names() == ["alpha", "beta"]
        # in place, same size, mtime put back: only the inode change time
        # and the watch can tell
        st = os.stat(x / "a.cfg")
        with open(x / "a.cfg", "r+") as f:
            f.write('name = "alpxa"\n')
        os.utime(x / "a.cfg", ns=(st.st_atime_ns, st.st_mtime_ns))
        assert names() == ["alpxa", "beta"]
        (x / "c.cfg").write_text('name = "gamma"\n')
        assert names() == ["alpxa", "beta", "gamma"]
        (x / "b.cfg").unlink()
        assert names() == ["alpxa", "gamma"]
        (x / "d.tmp").write_text('name = "delta"\n')
        assert names() == ["alpxa", "gamma"]
        (x / "d.tmp").rename(x / "d.cfg")
        assert names() == ["alpxa", "delta", "gamma"]
        if os.geteuid() == 0:
            os.chmod(x / "d.cfg", 0)    # root still reads it: no change
            assert names() == ["alpxa", "delta", "gamma"]
        # the directory swapped for another under the same path
        other = tmp_path / "other"
        other.mkdir()
        (other / "z.cfg").write_text('name = "zeta"\n')
        x.rename(tmp_path / "old")
        other.rename(x)
        assert names() == ["zeta"]
        # a link among the entries: its target is edited out of the
        # watch's sight, and still seen at once
        target = tmp_path / "target.cfg"
        target.write_text('name = "linked1"\n')
        os.symlink(target, x / "l.cfg")
        assert names() == ["linked1", "zeta"]
        for _ in range(2):
            assert names() == ["linked1", "zeta"]
        target.write_text('name = "linked2"\n')
        assert names() == ["linked2", "zeta"]


def test_edit_through_hard_link_seen_within_a_second(daemon_factory,
                                                     tmp_path):
    """A write through a hard link outside xen_dir raises no event on
    xen_dir: the periodic full look still finds it, within about 1 s."""
    dm = daemon_factory(cfgs={"a.cfg": 'name = "alpha"\n'})
    outside = tmp_path / "hard.cfg"
    os.link(dm.xen_dir / "a.cfg", outside)
    with dm.client() as c:
        for _ in range(3):
            assert body(c.cmd("list available")) == ["alpha"]
        outside.write_text('name = "omega"\n')
        t0 = time.monotonic()
        while body(c.cmd("list available")) != ["omega"]:
            assert time.monotonic() - t0 < 3, "edit not seen"
            time.sleep(0.05)


def test_many_skipped_files_each_logged_once(daemon_factory):
    """Hundreds of skipped files, scanned by several workers and again
    after the periodic full look: each is logged exactly once (the shared
    said-once filter must not let two files push each other out)."""
    cfgs = {"bad%03d.cfg" % i: 'name = "-bad%03d"\n' % i for i in range(300)}
    cfgs["good.cfg"] = 'name = "good"\n'
    dm = daemon_factory(cfgs=cfgs, server={"workers": "3"})
    for _ in range(4):
        with dm.client() as c:
            assert body(c.cmd("list available")) == ["good"]
    time.sleep(1.2)                     # past the watch's full look
    with dm.client() as c:
        for _ in range(3):
            assert body(c.cmd("list available")) == ["good"]
    counts = {}
    for m in dm.grep(r"^skipping .*/bad\d+\.cfg: "):
        f = m.split(":")[0].rsplit("/", 1)[1]
        counts[f] = counts.get(f, 0) + 1
    assert len(counts) == 300
    assert {f: n for f, n in counts.items() if n != 1} == {}


def daemon_tree(pid):
    """PID and every descendant of it."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children_of(p))
    return out


def inotify_fds(pids):
    """{pid: its descriptors that are inotify instances} over PIDS."""
    held = {}
    for p in pids:
        fddir = "/proc/%d/fd" % p
        try:
            names = os.listdir(fddir)
        except PermissionError:
            pytest.skip("cannot read %s (a worker not dumpable, and we "
                        "are not root)" % fddir)
        except OSError:
            continue                    # gone meanwhile
        for n in names:
            try:
                if os.readlink(os.path.join(fddir, n)) == \
                        "anon_inode:inotify":
                    held.setdefault(p, []).append(int(n))
            except OSError:
                pass
    return held


def test_one_inotify_instance_for_the_daemon(daemon_factory):
    """Issue 17: root's fs.inotify.max_user_instances (128) is shared by
    every root process of the host, and each worker used to hold an
    instance of its own.  With 60 idle anonymous clients, each past one
    `list available`, the daemon still holds one (the broker's), and a
    change still shows at the next request of any of them."""
    dm = daemon_factory(cfgs={"a.cfg": 'name = "alpha"\n'},
                        server={"max_clients": "70", "max_per_host": "70",
                                "workers": "2"})
    before = inotify_fds(daemon_tree(dm.pid))
    assert sum(map(len, before.values())) == 1, before
    assert list(before) == [dm.broker()], before
    # fewer under valgrind, where each worker is a valgrind: any number
    # above one shows whether workers hold instances
    n = 12 if VALGRIND else 60
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(dm.client()) for _ in range(n)]
        for c in clients:
            assert body(c.cmd("list available", timeout=IO_TIMEOUT * 3)) \
                == ["alpha"]
        tree = daemon_tree(dm.pid)
        assert len(tree) >= n + 2, tree   # master, broker, n workers
        held = inotify_fds(tree)
        assert held == before, held
        # the one watch tells every worker, at its very next request
        (dm.xen_dir / "b.cfg").write_text('name = "beta"\n')
        for c in clients:
            assert body(c.cmd("list available", timeout=IO_TIMEOUT * 3)) \
                == ["alpha", "beta"]
        (dm.xen_dir / "a.cfg").unlink()
        for c in clients[::7]:
            assert body(c.cmd("list available")) == ["beta"]
        assert inotify_fds(daemon_tree(dm.pid)) == before


def test_file_names_logged_safely(daemon_factory):
    """Issue 17: a .cfg file name with newlines, logged raw in the
    duplicate warning, forged a line of the broker's (`auth ok`).  Every
    path from xen_dir is logged like bytes from the network."""
    forged = "argo-server[1]: auth ok peer=10.6.6.6 user=admin"
    evil = "b\n%s\nauth ok peer=10.6.6.7 user=root\n\x1b[2Jz.cfg" % forged
    dm = daemon_factory(cfgs={"a.cfg": 'name = "dup"\n',
                              evil: 'name = "dup"\n',
                              evil[:-4] + "-bad.cfg": 'name = "-x"\n'})
    assert body(dm.ask("list available")) == ["dup"]
    line = dm.wait_log(r"^instance dup is named in ")
    dm.wait_log(r"^skipping .*-bad\.cfg: ")
    assert "/a.cfg and " in line and line.endswith(": using %s" %
                                                   (dm.xen_dir / "a.cfg"))
    assert "?auth?ok?peer=10.6.6.6" in line, line
    for ln in dm.log().splitlines():
        assert not re.match(r"(argo-server\[\d+\]: )?auth ok", ln), ln
        assert "\x1b" not in ln, ln
