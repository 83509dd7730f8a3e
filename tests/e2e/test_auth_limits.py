"""Issue 17, root's shared limits: max_per_host by IPv6 prefix
(per_host_prefix6), the broker's brake on password guessing per account
and per source, and a failed auth that takes as long whichever account it
names, a costly hash included.  Sources are told apart by binding the
client to 127.0.0.x (the broker learns them from the kernel)."""

import ctypes
import ctypes.util
import socket
import subprocess
import threading
import time

import pytest

from conftest import (ARGO_BIN, IO_TIMEOUT, PASSWORDS, SLOW, VALGRIND,
                      WRONG_PASSWORDS, Client, ok)

WRONG = WRONG_PASSWORDS[0]
AUTH_T = IO_TIMEOUT * 3 + 10      # a reply the brake may hold (up to 8 s)


def timed_auth(d, user, pw, source):
    with Client(d.port, source=source, timeout=AUTH_T) as c:
        t0 = time.monotonic()
        r = c.cmd("auth %s %s" % (user, pw), timeout=AUTH_T)
        return r, time.monotonic() - t0


def parallel(fns):
    """Run each fn in a thread of its own; their results, in order."""
    out = [None] * len(fns)

    def run(i):
        try:
            out[i] = fns[i]()
        except BaseException as e:      # reported by the caller's assert
            out[i] = e

    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(AUTH_T * 2)
    assert not any(t.is_alive() for t in ts), "a client never finished"
    return out


def fail_from(d, source, users):
    """One failed auth for each of USERS from SOURCE, all at once."""
    res = parallel([lambda u=u: timed_auth(d, u, WRONG, source)
                    for u in users])
    for r in res:
        assert not isinstance(r, BaseException), r
        assert r[0] == ["400 AUTHENTICATION FAILED"], r


# ------------------------------------------------------------ max_per_host

def v6_loopback():
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def busy(d, host="127.0.0.1", source=None, port=None):
    with Client(port or d.port, host=host, source=source) as c:
        c.send("whoami\n")
        first = c.line()
        if first == "400 SERVER BUSY":
            assert c.closed_within()
            return True
        assert first == "200 OK", first
        return False


def test_per_host_prefix6_counts_v6_by_prefix(daemon_factory):
    """::1 is counted under its /64 (the only v6 peer loopback has: the
    prefix arithmetic itself is tests/unit/test_hostkey.c); IPv4 still
    counts each address on its own, whatever per_host_prefix6 says."""
    if not v6_loopback():
        pytest.skip("no IPv6 loopback")
    d = daemon_factory(server={"listen": "127.0.0.1 ::1",
                               "max_per_host": "2", "max_clients": "10",
                               "per_host_prefix6": "64"})
    port6 = int([x for x in d.listens if x.startswith("[")][0]
                .rsplit(":", 1)[1])
    held = [Client(port6, host="::1") for _ in range(2)]
    try:
        for c in held:
            assert c.cmd("whoami")[1] == "anonymous"
        mark = d.mark()
        assert busy(d, host="::1", port=port6)
        d.wait_log(r"^busy peer=::1 reason=max_per_host$", since=mark)
        # two IPv4 addresses beside them: two hosts, each under its limit
        v4 = [Client(d.port, source=s) for s in ("127.0.0.2", "127.0.0.2",
                                                 "127.0.0.3", "127.0.0.3")]
        held += v4
        for c in v4:
            assert c.cmd("whoami")[1] == "anonymous"
        assert busy(d, source="127.0.0.2")
        assert not busy(d, source="127.0.0.4")
    finally:
        for c in held:
            c.close()


def test_per_host_prefix6_checked_at_load(daemon_factory):
    d = daemon_factory(start=False)
    for bad in ("0", "129", "64x", ""):
        text = d.write_config(server={"per_host_prefix6": bad})
        line = text.splitlines().index("per_host_prefix6 = %s" % bad) + 1
        r = subprocess.run([ARGO_BIN, "-t", "-c", str(d.conf)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, (bad, r.stderr)
        assert "%s:%d: per_host_prefix6: " % (d.conf, line) in r.stderr, \
            r.stderr
    d.write_config(server={"per_host_prefix6": "48"})
    r = subprocess.run([ARGO_BIN, "-t", "-c", str(d.conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------ the brake

def test_guessing_one_account_slows_it(daemon_factory, users_all):
    """Five failures on admin from 127.0.0.2 (at once, as parallel
    connections would): the next attempt from there waits 1 s more, the
    one after 2 s more, a correct password too; from 127.0.0.3, which
    never failed, the correct password is answered at once."""
    d = daemon_factory(users=users_all)
    mark = d.mark()
    fail_from(d, "127.0.0.2", ["admin"] * 5)
    d.wait_log(r"^auth throttled by=account user=admin peer=127\.0\.0\.2 "
               r"failures=5 ", since=mark)
    d.wait_log(r"^auth throttled by=source user=admin peer=127\.0\.0\.2 "
               r"failures=5 ", since=mark)

    r, t_wrong = timed_auth(d, "admin", WRONG, "127.0.0.2")
    assert r == ["400 AUTHENTICATION FAILED"]
    assert t_wrong >= 1.0 + 0.95, t_wrong       # the 1 s delay + 1 s

    r, t_dirty = timed_auth(d, "admin", PASSWORDS["admin"], "127.0.0.2")
    ok(r)
    assert t_dirty >= 1.95, t_dirty            # doubled: 2 s

    r, t_clean = timed_auth(d, "admin", PASSWORDS["admin"], "127.0.0.3")
    ok(r)
    assert t_clean < 1.0 * SLOW, t_clean
    # once a window: the sixth failure logged nothing more
    assert len(d.grep(r"^auth throttled by=account user=admin ",
                      since=mark)) == 1


@pytest.mark.slow          # the same brake as above, by source
def test_guessing_from_one_source_slows_it(daemon_factory, users_all):
    """Spraying: one failure each on five names from 127.0.0.4 slows that
    source's next attempt on any account, and no one else's."""
    d = daemon_factory(users=users_all)
    mark = d.mark()
    fail_from(d, "127.0.0.4", ["ro", "lim", "nosuch1", "nosuch2",
                               "nosuch3"])
    d.wait_log(r"^auth throttled by=source user=\S+ peer=127\.0\.0\.4 "
               r"failures=5 ", since=mark)
    assert not d.grep(r"^auth throttled by=account", since=mark)
    r, t_dirty = timed_auth(d, "admin", PASSWORDS["admin"], "127.0.0.4")
    ok(r)
    assert t_dirty >= 0.95, t_dirty
    r, t_clean = timed_auth(d, "admin", PASSWORDS["admin"], "127.0.0.5")
    ok(r)
    assert t_clean < 1.0 * SLOW, t_clean


def test_brake_off(daemon_factory, users_all):
    d = daemon_factory(users=users_all,
                       server={"auth_throttle_after": "0"})
    mark = d.mark()
    fail_from(d, "127.0.0.6", ["admin"] * 5)
    r, t = timed_auth(d, "admin", WRONG, "127.0.0.6")
    assert r == ["400 AUTHENTICATION FAILED"]
    if not VALGRIND:            # there a yescrypt check alone takes ~1 s
        assert t < 1.9, t       # braked, it would take 2 s at least
    assert not d.grep(r"^auth throttled", since=mark)


# ------------------------------------------------------ failure timing

def _libcrypt():
    lib = ctypes.CDLL(ctypes.util.find_library("crypt") or "libcrypt.so.1")
    lib.crypt.restype = ctypes.c_char_p
    lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    return lib


def costly_hash(password, seconds):
    """A sha512crypt hash that takes about SECONDS to check here."""
    lib = _libcrypt()
    t0 = time.monotonic()
    lib.crypt(b"x", b"$6$rounds=200000$calibrat")
    per = max(time.monotonic() - t0, 1e-3) / 200000
    rounds = max(1000, min(int(seconds / per), 999999999))
    h = lib.crypt(password.encode(), b"$6$rounds=%d$argoheavysalt" % rounds)
    assert h and h.startswith(b"$6$rounds="), h
    return h.decode()


HEAVY_PW = "H3avy-pw-8pQ-secret"


@pytest.mark.skipif(VALGRIND, reason="sha512crypt under valgrind: minutes")
def test_failure_time_does_not_tell_costly_hash(daemon_factory):
    """An account whose hash takes ~1.8 s to check fails no later than an
    unknown name (today: 1.8 s against 1.0 s).  Each pair runs at once,
    from two sources, so that both see the same load; one close pair of
    three proves the point (today none is)."""
    heavy = costly_hash(HEAVY_PW, 1.8)
    d = daemon_factory(users={"admin": {}}, start=False)
    d.write_config(d.config_text() +
                   "\n[user heavy]\npassword = %s\n" % heavy)
    d.start()
    diffs = []
    for i in range(3):
        (ru, tu), (rh, th) = parallel([
            lambda i=i: timed_auth(d, "nosuchuser", WRONG,
                                   "127.0.0.%d" % (20 + 2 * i)),
            lambda i=i: timed_auth(d, "heavy", WRONG,
                                   "127.0.0.%d" % (21 + 2 * i))])
        assert ru == rh == ["400 AUTHENTICATION FAILED"]
        assert tu >= 0.95 and th >= 0.95, (tu, th)
        diffs.append((round(tu, 3), round(th, 3)))
    # Both check the same hashes, in parallel on few cores: one of the pair
    # may wait for the other's check (about one costly hash, either way).
    # Before, the costly account failed ~3 s later in every pair.
    late = sum(th - tu for tu, th in diffs) / len(diffs)
    if late >= 1.5 * SLOW:
        pytest.fail("a costly account fails later than an unknown name: "
                    "%s" % diffs)
    # a success is not held back: admin's cheap hash answers at once
    r, t = timed_auth(d, "admin", PASSWORDS["admin"], "127.0.0.30")
    ok(r)
    assert t < 1.0 * SLOW, t
    r, t = timed_auth(d, "heavy", HEAVY_PW, "127.0.0.31")
    ok(r)
    assert HEAVY_PW not in d.log()
