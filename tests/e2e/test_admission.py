"""Admission before anything is read: the allow-list (ACCESS DENIED) and
the capacity limits (SERVER BUSY), DESIGN sections 2 and 4."""

import socket
import time

import pytest

from conftest import IO_TIMEOUT, Client, body, wait_for


def refused_with(d, reason, source=None, host="127.0.0.1", port=None):
    """Connect, send nothing: the refusal must arrive at once, then EOF."""
    t0 = time.monotonic()
    with Client(port or d.port, source=source, host=host) as c:
        assert c.line() == "400 " + reason
        assert c.closed_within()
    return time.monotonic() - t0


def admitted(d, source=None, host="127.0.0.1", port=None):
    with Client(port or d.port, source=source, host=host) as c:
        return c.cmd("whoami") == ["200 OK", "anonymous", "300 DONE"]


def test_acl_denies_other_loopback_source(daemon_factory):
    d = daemon_factory(server={"workers": "1"}, allow=["127.0.0.1"])
    mark = d.mark()
    took = refused_with(d, "ACCESS DENIED", source="127.0.0.2")
    assert took < 2.0 * IO_TIMEOUT / 5
    d.wait_log(r"^denied peer=127\.0\.0\.2$", since=mark)
    assert admitted(d, source="127.0.0.1")
    # a denied peer does not use up a session: still served afterwards
    for _ in range(3):
        refused_with(d, "ACCESS DENIED", source="127.0.0.2")
    assert admitted(d)


def test_acl_refusal_even_if_client_talks_first(daemon_factory):
    d = daemon_factory(allow=["127.0.0.1"])
    with Client(d.port, source="127.0.0.2") as c:
        try:
            c.send("list available\n")
        except OSError:
            pass
        data = c.read_all()
    assert data == b"400 ACCESS DENIED\n"


def test_no_allow_section_admits_loopback(daemon_factory):
    d = daemon_factory(allow=None)
    for src in ("127.0.0.1", "127.0.0.2", "127.1.2.3", "127.255.255.254"):
        assert admitted(d, source=src), src


def test_acl_cidr(daemon_factory):
    d = daemon_factory(allow=["127.0.0.0/31", "127.0.0.8/29", "10.0.0.0/8",
                              "2001:db8::/32"])
    for src in ("127.0.0.1", "127.0.0.8", "127.0.0.12", "127.0.0.15"):
        assert admitted(d, source=src), src
    for src in ("127.0.0.2", "127.0.0.7", "127.0.0.16", "127.0.1.8"):
        refused_with(d, "ACCESS DENIED", source=src)


def test_acl_ipv6(daemon_factory):
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    d = daemon_factory(server={"listen": "127.0.0.1 ::1"},
                       allow=["127.0.0.2", "::1/128"])
    assert len(d.listens) == 2, d.listens
    v6 = [l for l in d.listens if l.startswith("[")]
    assert v6 and v6[0].startswith("[::1]:"), d.listens
    port6 = int(v6[0].rsplit(":", 1)[1])
    assert admitted(d, host="::1", port=port6)
    assert admitted(d, source="127.0.0.2")
    mark = d.mark()
    refused_with(d, "ACCESS DENIED", source="127.0.0.1")
    d.wait_log(r"^denied peer=127\.0\.0\.1$", since=mark)


def test_acl_ipv6_denied(daemon_factory):
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    d = daemon_factory(server={"listen": "::1 127.0.0.1"},
                       allow=["127.0.0.1"])
    v6 = [l for l in d.listens if l.startswith("[")]
    port6 = int(v6[0].rsplit(":", 1)[1])
    mark = d.mark()
    refused_with(d, "ACCESS DENIED", host="::1", port=port6)
    d.wait_log(r"^denied peer=::1$", since=mark)
    assert admitted(d)


def test_max_clients_busy_at_once(daemon_factory):
    d = daemon_factory(server={"max_clients": "2", "workers": "1"})
    a = d.client()
    b = d.client()
    try:
        assert a.cmd("whoami")[1] == "anonymous"
        assert b.cmd("whoami")[1] == "anonymous"
        mark = d.mark()
        took = refused_with(d, "SERVER BUSY")
        assert took < 2.0 * IO_TIMEOUT / 5, "busy reply took %.1fs" % took
        d.wait_log(r"^busy peer=127\.0\.0\.1 reason=max_clients$", since=mark)
        # the busy sessions are unaffected
        assert a.cmd("version")[0] == "200 OK"
        assert b.cmd("version")[0] == "200 OK"
    finally:
        a.close()
    # a freed slot is usable again
    assert wait_for(lambda: _try_admit(d), IO_TIMEOUT)
    b.close()


def _try_admit(d):
    with d.client() as c:
        c.send("whoami\n")
        ln = c.line()
        if ln == "400 SERVER BUSY":
            return False
        assert ln == "200 OK"
        return True


def test_max_per_host(daemon_factory):
    d = daemon_factory(server={"max_per_host": "2", "max_clients": "10"})
    a = d.client()
    b = d.client()
    try:
        assert a.cmd("whoami")[1] == "anonymous"
        assert b.cmd("whoami")[1] == "anonymous"
        mark = d.mark()
        refused_with(d, "SERVER BUSY")
        d.wait_log(r"^busy peer=127\.0\.0\.1 reason=max_per_host$",
                   since=mark)
        # another address is not limited by 127.0.0.1's sessions
        assert admitted(d, source="127.0.0.3")
        with d.client(source="127.0.0.4") as c1, \
                d.client(source="127.0.0.4") as c2:
            assert c1.cmd("whoami")[0] == "200 OK"
            assert c2.cmd("whoami")[0] == "200 OK"
            refused_with(d, "SERVER BUSY", source="127.0.0.4")
    finally:
        a.close()
        b.close()
    assert wait_for(lambda: _try_admit(d), IO_TIMEOUT)


def test_many_idle_connections_then_busy(daemon_factory):
    # more clients than workers: new workers are forked up to max_clients
    d = daemon_factory(server={"max_clients": "6", "workers": "1",
                               "max_per_host": "6"})
    cs = [d.client() for _ in range(6)]
    try:
        for c in cs:
            assert c.cmd("whoami")[1] == "anonymous"
        refused_with(d, "SERVER BUSY")
    finally:
        for c in cs:
            c.close()
