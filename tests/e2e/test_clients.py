"""Real clients: telnet driven by expect (line and character mode), piped
telnet, netcat."""

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import IO_TIMEOUT, PASSWORDS, VERSION

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def d(module_factory):
    return module_factory(users={"admin": {}})


def need(*progs):
    for p in progs:
        if not shutil.which(p):
            pytest.skip("%s not installed" % p)


def test_telnet_session_via_expect(d):
    need("expect", "telnet")
    mark = d.mark()
    r = subprocess.run(["expect", "-f", str(HERE / "telnet_session.exp"),
                        str(d.port), "admin", PASSWORDS["admin"]],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "not ok" not in r.stdout
    assert r.stdout.strip().endswith("1..8"), r.stdout
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=admin reason=quit "
               r"requests=7$", since=mark)


def test_piped_telnet(d):
    # a piped "\r\n" reaches the server as "\r\0\r\n": one request and an
    # empty line; the sleeps keep telnet from closing before the replies
    need("telnet")
    sh = ("(printf 'version\\r\\n'; sleep 1; printf 'whoami\\n'; sleep 1; "
          "printf 'quit\\n'; sleep 1) | telnet 127.0.0.1 %d" % d.port)
    r = subprocess.run(["sh", "-c", sh], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)
    out = r.stdout.decode().replace("\r\n", "\n")
    assert ("200 OK\nargo-server %s\n300 DONE\n200 OK\nanonymous\n300 DONE\n"
            "200 OK\n300 BYE\n" % VERSION) in out, out


def test_netcat(d):
    need("nc")
    r = subprocess.run(["nc", "-N", "127.0.0.1", str(d.port)],
                       input=b"version\r\nlist foo\nwhoami\r\nquit\r\n",
                       capture_output=True, timeout=IO_TIMEOUT * 2)
    assert r.stdout == (b"200 OK\nargo-server %s\n300 DONE\n"
                        b"400 USAGE: list available|running\n"
                        b"200 OK\nanonymous\n300 DONE\n200 OK\n300 BYE\n"
                        % VERSION.encode())


def test_netcat_source_address_denied(module_factory):
    need("nc")
    dd = module_factory(allow=["127.0.0.1"])
    # no input: a request sent before the refusal is read makes the
    # server's close() reset the connection, and nc then sometimes drops
    # the refusal it had already received (seen ~5%)
    r = subprocess.run(["nc", "-N", "-s", "127.0.0.5", "127.0.0.1",
                        str(dd.port)], input=b"",
                       capture_output=True, timeout=IO_TIMEOUT * 2)
    assert r.stdout == b"400 ACCESS DENIED\n"
