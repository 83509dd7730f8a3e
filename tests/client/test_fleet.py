"""One command on many hosts: eight real daemons on 127.0.0.2-9, plus
hosts that refuse, never answer, or answer slowly (servers of our own).
Output prefixing and ordering, the JOBS bound, the -t deadline and the
exit statuses (0 all 200, 1 some 400, 2 some unreachable; highest wins)."""

import subprocess
import time

import pytest

from conftest import SLOW, free_port, lines, run, wait_for
from fakeserver import answering, peak_open, scripted, silent


def specs(fleet):
    return ",".join(d.spec for d in fleet)


def test_all_answer(fleet):
    r = run(specs(fleet), "list", "available")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    want = set()
    for d in fleet:
        for name in sorted(["db1", d.only, "web1"]):
            want.add("%s: %s" % (d.spec, name))
    got = lines(r.stdout)
    assert len(got) == len(want) and set(got) == want
    # A host's reply is printed whole, in its own order.
    for d in fleet:
        mine = [ln for ln in got if ln.startswith(d.spec + ": ")]
        assert mine == ["%s: %s" % (d.spec, n)
                        for n in sorted(["db1", d.only, "web1"])]


def test_one_host_no_prefix(fleet):
    r = run(fleet[0].spec, "list", "available")
    assert (r.returncode, r.stderr) == (0, "")
    assert lines(r.stdout) == sorted(["db1", fleet[0].only, "web1"])


def test_words_may_come_as_one_argument(fleet):
    a = run(fleet[0].spec, "list available")
    b = run(fleet[0].spec, "  LIST", "\tavailable ")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout == run(fleet[0].spec, "list",
                                       "available").stdout


def test_default_port_and_p(fleet):
    d = fleet[0]
    r = run("-p", d.port, d.addr, "version")
    assert (r.returncode, r.stdout) == (0, "argo-server 0.1.0\n")
    # An explicit port beats -p.
    r = run("-p", free_port("127.0.0.2"), d.spec, "version")
    assert (r.returncode, r.stdout) == (0, "argo-server 0.1.0\n")


def test_list_running_everywhere(fleet):
    for d in fleet[:3]:
        d.start_guest("web1")
    try:
        r = run(specs(fleet), "list", "running")
        assert r.returncode == 0, r.stderr
        for i, d in enumerate(fleet):
            mine = [ln for ln in lines(r.stdout)
                    if ln.startswith(d.spec + ": ")]
            if i < 3:
                assert len(mine) == 1 and \
                    mine[0].startswith(d.spec + ": web1 id=")
            else:
                assert mine == []
    finally:
        for d in fleet[:3]:
            d.xl_run("destroy", "web1")


def test_one_refuses(fleet):
    dead = "127.0.0.10:%d" % free_port("127.0.0.10")
    r = run(specs(fleet[:3]) + "," + dead, "version")
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: connect: Connection refused" % dead]
    assert sorted(lines(r.stdout)) == sorted(
        "%s: argo-server 0.1.0" % d.spec for d in fleet[:3])


def test_one_never_answers_bounded_by_t(fleet, fake):
    mute = fake("127.0.0.11", silent)
    t0 = time.monotonic()
    r = run("-t", "2", specs(fleet) + "," + mute.spec, "version")
    took = time.monotonic() - t0
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: timed out after 2 s" % mute.spec]
    assert len(lines(r.stdout)) == len(fleet)
    assert 2.0 <= took < 2.0 + 3 * SLOW, took
    assert mute.accepted == 1
    # It was asked like the others (and closed on: its thread ends).
    assert wait_for(lambda: mute.received, 5)
    assert mute.received[0].startswith(b"version\n")


def test_400_from_one_host(fleet):
    # only-2 exists on 127.0.0.2 alone: NO SUCH INSTANCE elsewhere.
    r = run(specs(fleet[:4]), "status", fleet[0].only)
    assert r.returncode == 1
    assert sorted(lines(r.stderr)) == sorted(
        "%s: 400 NO SUCH INSTANCE" % d.spec for d in fleet[1:4])
    out = lines(r.stdout)
    assert "%s: name: %s" % (fleet[0].spec, fleet[0].only) in out
    assert all(ln.startswith(fleet[0].spec + ": ") for ln in out)


def test_highest_status_wins(fleet):
    dead = "127.0.0.10:%d" % free_port("127.0.0.10")
    r = run(specs(fleet[:2]) + "," + dead, "status", fleet[0].only)
    assert r.returncode == 2
    err = lines(r.stderr)
    assert "%s: 400 NO SUCH INSTANCE" % fleet[1].spec in err
    assert "%s: connect: Connection refused" % dead in err


def test_unknown_command_is_a_400(fleet):
    r = run(specs(fleet[:2]), "frobnicate")
    assert r.returncode == 1
    assert sorted(lines(r.stderr)) == sorted(
        "%s: 400 UNKNOWN COMMAND" % d.spec for d in fleet[:2])


def test_order_as_replies_arrive_and_with_o(fleet):
    """The first host is slow (its toolstack sleeps): without -o its lines
    come last; with -o every line is in host order."""
    slow = fleet[0]
    for d in fleet[:4]:
        d.start_guest("db1")
    slow.inject("list", sleep="1.0")
    try:
        hosts = specs(fleet[:4])
        r = run(hosts, "list", "running")
        assert r.returncode == 0, r.stderr
        got = [ln.split(": ", 1)[0] for ln in lines(r.stdout)]
        assert len(got) == 4 and got[-1] == slow.spec, got
        r = run("-o", hosts, "list", "running")
        assert r.returncode == 0, r.stderr
        got = [ln.split(": ", 1)[0] for ln in lines(r.stdout)]
        assert got == [d.spec for d in fleet[:4]], got
    finally:
        slow.clear_inject()
        for d in fleet[:4]:
            d.xl_run("destroy", "db1")


def test_o_errors_in_host_order(fleet):
    dead = "127.0.0.10:%d" % free_port("127.0.0.10")
    hosts = [fleet[0].spec, dead, fleet[1].spec]
    r = run("-o", ",".join(hosts), "status", fleet[1].only)
    assert r.returncode == 2
    assert lines(r.stderr) == [
        "%s: 400 NO SUCH INSTANCE" % fleet[0].spec,
        "%s: connect: Connection refused" % dead]
    assert lines(r.stdout)[0] == "%s: name: %s" % (fleet[1].spec,
                                                   fleet[1].only)


@pytest.mark.parametrize("jobs,want", [(1, 1), (3, 3), (32, 9)])
def test_jobs_bound(fake, jobs, want):
    """Nine slow hosts of our own (0.3 s a reply): -j JOBS connections at
    once, never more."""
    servers = [fake("127.0.0.%d" % (20 + i), answering(delay=0.3))
               for i in range(9)]
    t0 = time.monotonic()
    r = run("-j", jobs, ",".join(s.spec for s in servers), "version")
    took = time.monotonic() - t0
    assert r.returncode == 0, r.stderr
    assert len(lines(r.stdout)) == 9
    peak = max(s.open_max for s in servers)
    # Each server sees one connection; the peak across servers is
    # what was in flight at once.
    assert all(s.accepted == 1 for s in servers)
    assert peak_open(servers) == want, peak_open(servers)
    assert peak == 1
    assert took >= 0.3 * (9 // want) - 0.05


def test_host_file(fleet, tmp_path):
    f = tmp_path / "hosts"
    f.write_text("# the fleet\n\n  %s   # first\n%s\n\t%s\n%s\n" % (
        fleet[0].spec, fleet[1].spec, fleet[2].spec, fleet[0].spec))
    r = run("-H", f, "version")
    assert r.returncode == 0, r.stderr
    # The same host twice is asked once.
    assert sorted(lines(r.stdout)) == sorted(
        "%s: argo-server 0.1.0" % d.spec for d in fleet[:3])
    r = run("-H", "-", "version", input=f.read_text())
    assert r.returncode == 0
    assert len(lines(r.stdout)) == 3
    # Two files add up; a file of one host prints without prefix.
    g = tmp_path / "one"
    g.write_text(fleet[3].spec + "\n")
    r = run("-H", g, "version")
    assert (r.returncode, r.stdout) == (0, "argo-server 0.1.0\n")
    r = run("-H", f, "-H", g, "version")
    assert len(lines(r.stdout)) == 4


def test_duplicates_asked_once(fleet):
    d = fleet[0]
    r = run("%s,%s,%s" % (d.spec, d.spec, fleet[1].spec), "version")
    assert r.returncode == 0
    assert len(lines(r.stdout)) == 2


def test_many_hosts_few_jobs(fleet):
    """More hosts than -j: every one is asked, with -j 2."""
    r = run("-j", "2", "-o", specs(fleet), "whoami")
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout) == ["%s: anonymous" % d.spec for d in fleet]


def test_protocol_breakers(fake):
    cut = fake("127.0.0.30", scripted(b"200 OK\nline one\n"))
    junk = fake("127.0.0.31", scripted(b"HELLO THERE\n"))
    crlf = fake("127.0.0.32", answering(body=["one", "two"], crlf=True))
    ctl = fake("127.0.0.33", scripted(b"200 OK\na\x1b[2Jb\x07c\tTAB\n"
                                      b"300 DONE\n"))
    endless = fake("127.0.0.34", scripted(b"200 OK\n" + b"x" * 300000,
                                          then_close=False))
    nothing = fake("127.0.0.35", scripted(b""))
    r = run("-t", "10", ",".join(s.spec for s in (cut, junk, crlf, ctl,
                                                  endless, nothing)),
            "version")
    assert r.returncode == 2
    err = sorted(lines(r.stderr))
    assert err == sorted([
        "%s: connection closed before the reply ended" % cut.spec,
        '%s: protocol error: unexpected line "HELLO THERE"' % junk.spec,
        "%s: reply line longer than 131072 bytes" % endless.spec,
        "%s: connection closed without a reply" % nothing.spec,
    ]), err
    out = lines(r.stdout)
    assert "%s: line one" % cut.spec in out         # shown, then the error
    assert "%s: one" % crlf.spec in out and "%s: two" % crlf.spec in out
    assert "%s: a?[2Jb?c\tTAB" % ctl.spec in out


def test_single_host_control_bytes_shown_as_question_marks(fake):
    ctl = fake("127.0.0.36", scripted(b"200 OK\nx\x1b]0;pwned\x07y\n"
                                      b"300 DONE\n"))
    r = run(ctl.spec, "version")
    assert (r.returncode, r.stdout) == (0, "x?]0;pwned?y\n")


def run_bytes(*args):
    """The client's (rc, stdout, stderr) as bytes: what a terminal gets."""
    from conftest import check_clean, client_argv
    r = subprocess.run(client_argv(*args), capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=60 * SLOW,
                       start_new_session=True)
    check_clean(r.returncode, r.stderr.decode("utf-8", "replace"))
    return r.returncode, r.stdout, r.stderr


# C1 controls raw (CSI) and in UTF-8 (OSC ... ST), a right-to-left
# override and an isolate that would reorder a line (and, on a bidi
# terminal, its host prefix); and valid UTF-8 whose continuation bytes
# are in 0x80-0x9f, which must stay.
HOSTILE = (b"a\x9b" b"31mb\xc2\x9d" b"0;x\xc2\x9c" b"c\n"
           b"web1\xe2\x80\xae" b"1bew\xe2\x81\xa6" b"z\n"
           b"\xc3\x9b \xe2\x82\xac \xc4\x81\n")
SHOWN = [b"a?31mb?0;x?c", b"web1?1bew?z", b"\xc3\x9b \xe2\x82\xac \xc4\x81"]


def test_c1_and_bidi_shown_as_question_marks(fake):
    """Issue 17: C1 controls and bidi overrides from a server are shown
    like C0, single host and fleet, body and 400 line alike."""
    one = fake("127.0.0.45", scripted(b"200 OK\n" + HOSTILE + b"300 DONE\n"))
    two = fake("127.0.0.46", scripted(b"200 OK\n" + HOSTILE + b"300 DONE\n"))
    bad = fake("127.0.0.47", scripted(b"400 NO\x9b" b"2J\xe2\x80\xae" b"X\n"))
    rc, out, err = run_bytes(one.spec, "version")
    assert (rc, out.splitlines(), err) == (0, SHOWN, b"")
    for order in ([], ["-o"]):
        rc, out, err = run_bytes(*(order + [",".join(
            s.spec for s in (one, two, bad)), "version"]))
        assert rc == 1
        assert sorted(out.splitlines()) == sorted(
            s.spec.encode() + b": " + ln for s in (one, two) for ln in SHOWN)
        assert err.splitlines() == [bad.spec.encode() + b": 400 NO?2J?X"]
    rc, out, err = run_bytes(bad.spec, "version")
    assert (rc, out, err.splitlines()) == (
        1, b"", [bad.spec.encode() + b": 400 NO?2J?X"])


def test_access_denied_is_a_400(tmp_path_factory):
    from conftest import start_daemons, stop_daemons
    ds = start_daemons(tmp_path_factory, ["127.0.0.40"], allow=["10.9.9.9"])
    try:
        r = run(ds[0].spec, "version")
        assert r.returncode == 1
        assert lines(r.stderr) == ["%s: 400 ACCESS DENIED" % ds[0].spec]
    finally:
        stop_daemons(ds)


def test_quit_as_the_command(fleet):
    r = run(specs(fleet[:2]), "quit")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
