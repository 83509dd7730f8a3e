"""The forms of a host: name, name:port, IPv4, [v6]:port, bare v6, -p;
names looked up (localhost), every address tried in turn, a name that
does not resolve."""

import socket
import time

import pytest

from conftest import SLOW, ipv6_loopback, lines, run, start_daemons, \
    stop_daemons


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    addrs = ["127.0.0.1"] + (["::1"] if ipv6_loopback() else [])
    ds = start_daemons(tmp_path_factory, addrs)
    yield ds
    stop_daemons(ds)


def localhost_addrs():
    return {i[4][0] for i in socket.getaddrinfo("localhost", 1, 0,
                                                  socket.SOCK_STREAM)}


def test_name_and_port(local):
    v4 = local[0]
    assert "127.0.0.1" in localhost_addrs()
    r = run("localhost:%d" % v4.port, "whoami")
    assert (r.returncode, r.stdout, r.stderr) == (0, "anonymous\n", "")


def test_name_with_p(local):
    r = run("-p", local[0].port, "localhost", "version")
    assert (r.returncode, r.stdout) == (0, "argo-server 0.1.0\n")


def test_every_address_is_tried(local):
    """localhost has ::1 and 127.0.0.1 here; only one of them listens on
    this port, whichever comes first."""
    if len(localhost_addrs()) < 2:
        pytest.skip("localhost has one address here: nothing to fall "
                    "back to")
    for d in local:
        r = run("localhost:%d" % d.port, "list", "available")
        assert r.returncode == 0, r.stderr
        assert d.only in lines(r.stdout)


def test_ipv4_literal(local):
    r = run("127.0.0.1:%d" % local[0].port, "version")
    assert r.returncode == 0


def test_ipv6_forms(local):
    if len(local) < 2:
        pytest.skip("no IPv6 loopback on this host")
    v6 = local[1]
    r = run("[::1]:%d" % v6.port, "list", "available")
    assert r.returncode == 0, r.stderr
    assert v6.only in lines(r.stdout)
    r = run("-p", v6.port, "::1", "version")
    assert r.returncode == 0
    r = run("-p", v6.port, "[::1]", "version")
    assert r.returncode == 0
    # Mixed in one fleet, in host order.
    hosts = ["[::1]:%d" % v6.port, "127.0.0.1:%d" % local[0].port,
             "localhost:%d" % local[0].port]
    r = run("-o", ",".join(hosts), "whoami")
    assert r.returncode == 0, r.stderr
    assert lines(r.stdout) == ["%s: anonymous" % h for h in hosts]


def test_name_that_does_not_resolve():
    t0 = time.monotonic()
    r = run("-t", "5", "no-such-host.invalid:20203", "version")
    assert r.returncode == 2
    err = lines(r.stderr)
    assert len(err) == 1 and err[0].startswith("no-such-host.invalid:20203: ")
    assert err[0].endswith(("timed out after 5 s",)) or ": lookup: " in err[0]
    assert time.monotonic() - t0 < 5 + 3 * SLOW
