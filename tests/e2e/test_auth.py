"""auth: crypt(3) check, the same reply and delay for an unknown user and
a wrong password, max_auth_tries, logging without secrets."""

import threading
import time

import pytest

from conftest import (IO_TIMEOUT, PASSWORDS, SLOW, VERSION, WRONG_PASSWORDS,
                      ok)

TRIES = 2


@pytest.fixture(scope="module")
def d(module_factory, users_all):
    # Every failure here comes from 127.0.0.1: the brake on guessing would
    # hold the later ones (test_auth_limits.py is about that).
    return module_factory(users=users_all,
                          server={"max_auth_tries": str(TRIES),
                                  "auth_throttle_after": "0"})


def timed(c, text):
    t0 = time.monotonic()
    r = c.cmd(text, timeout=IO_TIMEOUT * 3)
    return r, time.monotonic() - t0


def test_auth_good(d):
    mark = d.mark()
    with d.client() as c:
        assert c.cmd("whoami")[1] == "anonymous"
        ok(c.cmd("auth admin " + PASSWORDS["admin"], timeout=IO_TIMEOUT * 3))
        assert c.cmd("whoami") == ["200 OK", "admin", "300 DONE"]
        assert c.cmd("quit") == ["200 OK", "300 BYE"]
    d.wait_log(r"^auth ok peer=127\.0\.0\.1 user=admin$", since=mark)
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=admin reason=quit "
               r"requests=4$", since=mark)


def test_bad_password_and_unknown_user_alike(d):
    mark = d.mark()
    with d.client() as c:
        r1, t1 = timed(c, "auth admin " + WRONG_PASSWORDS[0])
        assert c.cmd("whoami")[1] == "anonymous"
    with d.client() as c:
        r2, t2 = timed(c, "auth nosuchuser " + WRONG_PASSWORDS[1])
        assert c.cmd("whoami")[1] == "anonymous"
    assert r1 == r2 == ["400 AUTHENTICATION FAILED"]
    assert t1 > 0.8 and t2 > 0.8, (t1, t2)
    assert abs(t1 - t2) < 0.3 * SLOW, (t1, t2)
    assert t1 < 3 * SLOW and t2 < 3 * SLOW, (t1, t2)
    d.wait_log(r"^auth failed peer=127\.0\.0\.1 user=admin$", since=mark)
    d.wait_log(r"^auth failed peer=127\.0\.0\.1 user=nosuchuser$", since=mark)


def test_wrong_password_of_other_user(d):
    # a valid password, but of another account
    with d.client() as c:
        r, t = timed(c, "auth ro " + PASSWORDS["admin"])
        assert r == ["400 AUTHENTICATION FAILED"] and t > 0.8


def test_max_auth_tries_closes(d):
    mark = d.mark()
    with d.client() as c:
        for i in range(TRIES):
            r, _ = timed(c, "auth admin " + WRONG_PASSWORDS[i % 2])
            assert r == ["400 AUTHENTICATION FAILED"], i
            if i < TRIES - 1:
                assert c.cmd("version")[1] == "argo-server " + VERSION
        assert c.closed_within()
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=auth "
               r"requests=%d$" % (2 * TRIES - 1), since=mark)


def test_success_after_a_failure(d):
    with d.client() as c:
        r, _ = timed(c, "auth ro " + WRONG_PASSWORDS[0])
        assert r == ["400 AUTHENTICATION FAILED"]
        ok(c.cmd("auth ro " + PASSWORDS["ro"], timeout=IO_TIMEOUT * 3))
        assert c.cmd("whoami")[1] == "ro"


def test_auth_delay_does_not_block_others(d):
    """While one session sits in the failed-auth delay, others are served
    at once."""
    done = {}

    def slow():
        with d.client() as c:
            done["r"] = c.cmd("auth admin " + WRONG_PASSWORDS[0],
                              timeout=IO_TIMEOUT * 3)

    th = threading.Thread(target=slow)
    th.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    for _ in range(3):
        with d.client() as c:
            assert c.cmd("version")[1] == "argo-server " + VERSION
    assert time.monotonic() - t0 < 0.6 * SLOW
    th.join(IO_TIMEOUT * 3)
    assert done["r"] == ["400 AUTHENTICATION FAILED"]


def test_auth_pipelined_commands_wait_for_it(d):
    # requests after a failing auth are answered after it, in order
    with d.client() as c:
        c.send("auth admin %s\nwhoami\nversion\n" % WRONG_PASSWORDS[1])
        assert c.reply(timeout=IO_TIMEOUT * 3) == ["400 AUTHENTICATION FAILED"]
        assert c.reply() == ["200 OK", "anonymous", "300 DONE"]
        assert c.reply()[1] == "argo-server " + VERSION


def test_user_name_sanitised_in_log(d):
    mark = d.mark()
    with d.client() as c:
        c.send(b"auth w\xc3\xa9b=x %s\n" % WRONG_PASSWORDS[0].encode())
        assert c.reply(timeout=IO_TIMEOUT * 3) == \
            ["400 AUTHENTICATION FAILED"]
    line = d.wait_log(r"^auth failed peer=127\.0\.0\.1 user=", since=mark)
    assert "\u00e9" not in line and "\ufffd" not in line, line
    raw = d.logfile.read_bytes()[mark:]
    assert b"\xc3" not in raw


def test_no_password_in_log(d):
    text = d.log()
    for pw in list(PASSWORDS.values()) + WRONG_PASSWORDS:
        assert pw not in text
