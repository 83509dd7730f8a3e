"""login_timeout and idle_timeout: `400 TIMEOUT`, then the connection is
closed (DESIGN section 2)."""

import time

import pytest

from conftest import IO_TIMEOUT, SLOW

pytestmark = pytest.mark.slow

LOGIN = 1
IDLE = 2


@pytest.fixture(scope="module")
def d(module_factory):
    return module_factory(server={"login_timeout": str(LOGIN),
                                  "idle_timeout": str(IDLE),
                                  "max_per_host": "32"})


def timed_out(c, at_least, at_most):
    t0 = time.monotonic()
    assert c.line(timeout=at_most + 2) == "400 TIMEOUT"
    took = time.monotonic() - t0
    assert c.closed_within()
    return took


def test_login_timeout_silent_client(d):
    mark = d.mark()
    with d.client() as c:
        t0 = time.monotonic()
        assert c.line(timeout=LOGIN + 3) == "400 TIMEOUT"
        took = time.monotonic() - t0
        assert c.closed_within()
    assert LOGIN - 0.2 <= took <= LOGIN + 1.5 * SLOW, took
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=timeout "
               r"requests=0$", since=mark)


def test_login_timeout_counts_partial_and_blank_lines(d):
    # blank lines and an unfinished line are not a first command
    with d.client() as c:
        t0 = time.monotonic()
        c.send("\n  \n\r\n")
        time.sleep(0.3)
        c.send("vers")
        assert c.line(timeout=LOGIN + 3) == "400 TIMEOUT"
        took = time.monotonic() - t0
        assert c.closed_within()
    assert took <= LOGIN + 1.5 * SLOW, took


def test_login_timeout_trickle_does_not_extend(d):
    # bytes of an unfinished line keep arriving: still closed on time
    with d.client() as c:
        t0 = time.monotonic()
        got = None
        for _ in range(int((LOGIN + 3) / 0.2)):
            try:
                c.send("x")
            except OSError:
                break
            if not c.nothing_for(0.2):
                break
        got = c.line(timeout=2)
        took = time.monotonic() - t0
    assert got == "400 TIMEOUT"
    assert took <= LOGIN + 1.5 * SLOW, took


def test_invalid_first_line_ends_login_phase(d):
    # a complete non-blank line, even invalid, switches to idle_timeout
    with d.client() as c:
        t0 = time.monotonic()
        assert c.cmd("frobnicate") == ["400 UNKNOWN COMMAND"]
        # past login_timeout, within idle_timeout: still open
        assert c.nothing_for(LOGIN + 0.5)
        assert c.line(timeout=IDLE + 3) == "400 TIMEOUT"
        took = time.monotonic() - t0
        assert c.closed_within()
    assert IDLE - 0.2 <= took <= IDLE + 1.5 * SLOW, took


def test_too_long_first_line_ends_login_phase(d):
    # a complete line over the limit is a request too (answered with
    # LINE TOO LONG): from then on idle_timeout holds, not login_timeout
    mark = d.mark()
    with d.client() as c:
        t0 = time.monotonic()
        c.send("x" * 2000 + "\n")
        assert c.line() == "400 LINE TOO LONG"
        assert c.nothing_for(LOGIN + 0.5)
        assert c.line(timeout=IDLE + 3) == "400 TIMEOUT"
        took = time.monotonic() - t0
        assert c.closed_within()
    assert IDLE - 0.2 <= took <= IDLE + 1.5 * SLOW, took
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=timeout "
               r"requests=1$", since=mark)


def test_idle_timeout(d):
    mark = d.mark()
    with d.client() as c:
        assert c.cmd("whoami")[1] == "anonymous"
        # activity restarts the idle clock
        for _ in range(3):
            time.sleep(IDLE * 0.5)
            assert c.cmd("version")[0] == "200 OK"
        t0 = time.monotonic()
        assert c.line(timeout=IDLE + 3) == "400 TIMEOUT"
        took = time.monotonic() - t0
        assert c.closed_within()
    assert IDLE - 0.2 <= took <= IDLE + 1.5 * SLOW, took
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=timeout "
               r"requests=4$", since=mark)


def test_many_timeouts_at_once(d):
    # every waiting session gets its own TIMEOUT; nothing is left open
    cs = [d.client() for _ in range(6)]
    try:
        for c in cs:
            assert c.line(timeout=LOGIN + 3 * SLOW) == "400 TIMEOUT"
            assert c.closed_within()
    finally:
        for c in cs:
            c.close()
    with d.client() as c:
        assert c.cmd("whoami")[1] == "anonymous"
