"""The interactive session (no command, one host) fed from a pipe: one
reply per line, the exit status the worst reply, the server's own end
seen while idle.  The terminal side is in test_auth.py (interactive.exp)."""

import subprocess
import time

from conftest import (PASSWORD, SLOW, check_clean, client_argv, free_port,
                      lines, run)
from fakeserver import ConsoleScript, scripted


def test_piped_session(fleet):
    d = fleet[0]
    r = run(d.spec, input="version\n\n   \nwhoami\nlist available\n")
    assert (r.returncode, r.stderr) == (0, "")
    assert lines(r.stdout) == ["argo-server 0.1.0", "anonymous", "db1",
                               d.only, "web1"]


def test_last_line_without_newline(fleet):
    r = run(fleet[0].spec, input="version\nwhoami")
    assert lines(r.stdout) == ["argo-server 0.1.0", "anonymous"]


def test_400_makes_status_1_and_session_goes_on(fleet):
    d = fleet[0]
    r = run(d.spec, input="frobnicate\nversion\n")
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 UNKNOWN COMMAND" % d.spec]
    assert lines(r.stdout) == ["argo-server 0.1.0"]


def test_quit_ends_the_session(fleet):
    r = run(fleet[0].spec, input="version\nquit\nversion\n")
    assert (r.returncode, lines(r.stdout)) == (0, ["argo-server 0.1.0"])


def test_login_first_with_u(fleet):
    r = run("-u", "admin", fleet[0].spec, input="whoami\n",
            password=PASSWORD)
    assert (r.returncode, r.stdout) == (0, "admin\n")
    assert PASSWORD not in r.stdout + r.stderr


def test_auth_user_asks_for_the_password(fleet):
    """`auth USER` typed: the password comes from where -u takes it."""
    r = run(fleet[0].spec, input="auth admin\nwhoami\n", password=PASSWORD)
    assert (r.returncode, r.stdout) == (0, "admin\n")


def test_lines_the_server_would_refuse(fleet):
    d = fleet[0]
    r = run(d.spec, input="status %s\nlist\x01 available\nversion\n"
            % ("x" * 1100))
    assert r.returncode == 1
    err = lines(r.stderr)
    assert len(err) == 2
    assert "1107 bytes not sent" in err[0]
    assert "control character" in err[1]
    assert lines(r.stdout) == ["argo-server 0.1.0"]


def test_unreachable(fleet):
    dead = "127.0.0.10:%d" % free_port("127.0.0.10")
    r = run(dead, input="version\n")
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: connect: Connection refused" % dead]


def test_server_ends_the_session_while_idle(fake):
    """The server's `400 TIMEOUT` and close are seen at once, with stdin
    still open and silent."""
    s = fake("127.0.0.50", scripted(b"200 OK\nhi\n300 DONE\n400 TIMEOUT\n"))
    p = subprocess.Popen(client_argv(s.spec), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        p.stdin.write("version\n")
        p.stdin.flush()
        # stdin stays open: only the server's end can end the session.
        p.wait(10 * SLOW)
        out, err = p.stdout.read(), p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        p.stdin.close()
        p.stdout.close()
        p.stderr.close()
    check_clean(p.returncode, err)
    assert p.returncode == 2
    assert out == "hi\n"
    assert lines(err) == ["%s: 400 TIMEOUT" % s.spec,
                          "%s: connection closed" % s.spec]


def test_reply_timeout_ends_the_session(fake):
    s = fake("127.0.0.51", scripted(b"", then_close=False))
    t0 = time.monotonic()
    r = run("-t", "1", s.spec, input="version\nversion\n")
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: timed out after 1 s" % s.spec]
    assert time.monotonic() - t0 < 1 + 3 * SLOW


def test_console_in_a_piped_session(fake):
    s = fake("127.0.0.52", ConsoleScript())
    r = run(s.spec, input="version\nconsole web1\nabc\x1d\nwhoami\n")
    assert r.returncode == 0, r.stderr
    # (text mode: the console's CR LF reads as one newline)
    assert r.stdout == "fake-console 1\nabc\nanonymous\n"
    assert s.console_bytes == [b"abc\x1d"]
