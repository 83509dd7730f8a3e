"""Bad use: a clear one-line message, exit 64, and no connection made
(a listener of our own would have seen one)."""

import os
import socket

import pytest

from conftest import VERSION, run

USAGE = 64


@pytest.fixture
def watch():
    """A listener on 127.0.0.12; .spec for hosts, .connected() after."""
    s = socket.socket()
    s.bind(("127.0.0.12", 0))
    s.listen(8)
    s.settimeout(0.3)

    class W:
        spec = "127.0.0.12:%d" % s.getsockname()[1]

        @staticmethod
        def connected():
            try:
                c, _ = s.accept()
                c.close()
                return True
            except socket.timeout:
                return False
    yield W
    s.close()


def bad(args, watch, text, **kw):
    r = run(*args, **kw)
    assert r.returncode == USAGE, (args, r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    err = r.stderr.splitlines()
    assert len(err) == 1 and err[0].startswith("argo: "), r.stderr
    assert text in err[0], (text, err[0])
    assert not watch.connected(), "a connection was made: %r" % (args,)
    return err[0]


def test_help_and_version():
    r = run("-h")
    assert r.returncode == 0 and r.stderr == ""
    for opt in ("-p PORT", "-u USER", "-j JOBS", "-t SECONDS", "-H FILE",
                "-o", "HOST[,HOST...]", "COMMAND"):
        assert opt in r.stdout, opt
    r = run("-V")
    assert (r.returncode, r.stdout, r.stderr) == (0, "argo %s\n" % VERSION,
                                                  "")


def test_no_host(watch):
    bad([], watch, "no host")
    bad(["-t", "3"], watch, "no host")


@pytest.mark.parametrize("args,text", [
    (["-j", "0"], "-j 0"),
    (["-j", "x"], "-j x"),
    (["-j", "99999"], "-j 99999"),
    (["-t", "0"], "-t 0"),
    (["-t", "-1"], "-t -1"),
    (["-t", "1.5"], "-t 1.5"),
    (["-p", "0"], "-p 0"),
    (["-p", "65536"], "-p 65536"),
    (["-Z"], "unknown option -Z"),
])
def test_bad_options(watch, args, text):
    bad(args + [watch.spec, "version"], watch, text)


def test_option_without_argument(watch):
    bad(["-t"], watch, "-t needs an argument")


@pytest.mark.parametrize("host", [
    "a:b:c:", "[::1", "[::1]x", "[]:20203", "[nothost]:1", "host:0",
    "host:65536", "host:", "host:1x", "-bad", "bad_host!", "a..b",
    "10.1", "1234", "300.1.1.1", "x" * 300, "a,", ",a", "a,,b",
    "host name", "",
])
def test_bad_hosts(watch, host):
    """Checked before any connection: the good host first is not asked."""
    bad([watch.spec + "," + host, "version"], watch, "")


def test_bad_host_message_names_it(watch):
    line = bad(["%s,bad_host!" % watch.spec, "version"], watch, "bad_host!")
    assert "not a host name" in line


def test_command_too_long(watch):
    # 1024 bytes is the limit: the line is "status " + name
    bad([watch.spec, "status", "x" * 1018], watch, "1025 bytes")


def test_command_at_limit_is_sent(watch):
    """1024 bytes exactly is not bad use: it reaches the host."""
    r = run("-t", "1", watch.spec, "status", "x" * 1017, timeout=20)
    assert r.returncode == 2 and "timed out after 1 s" in r.stderr
    assert watch.connected()


@pytest.mark.parametrize("word", ["list\nrunning", "a\rb", "a\x1bb",
                                  "a\x7fb"])
def test_control_bytes_in_command(watch, word):
    bad([watch.spec, word], watch, "control character")


def test_empty_command(watch):
    bad([watch.spec, " ", "\t"], watch, "empty command")


def test_auth_in_argv_refused(watch):
    line = bad([watch.spec, "auth", "admin", "secret"], watch, "-u USER")
    assert "secret" not in line


def test_console_needs_one_host(watch):
    bad(["%s,127.0.0.13" % watch.spec, "console", "web1"], watch,
        "exactly one host")
    bad([watch.spec, "console"], watch, "console NAME")
    bad([watch.spec, "console", "a", "b"], watch, "console NAME")


def test_interactive_needs_one_host(watch):
    bad(["%s,127.0.0.13" % watch.spec], watch, "exactly one host")


def test_host_file_errors(watch, tmp_path):
    bad(["-H", str(tmp_path / "missing"), "version"], watch, "missing")
    f = tmp_path / "hosts"
    f.write_text("# fleet\n%s\n\nbad host\n" % watch.spec)
    bad(["-H", str(f), "version"], watch, "%s:4:" % f)
    f.write_text("# nothing but comments\n\n")
    bad(["-H", str(f), "version"], watch, "no host")
    f.write_text(watch.spec + "\n")
    bad(["-H", "-", "-H", "-", "version"], watch, "twice", input="")
    bad(["-H", "-"], watch, "stdin", input=watch.spec + "\n")


def test_password_file_mode_refused(watch, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    for mode in (0o644, 0o640, 0o604, 0o660):
        os.chmod(pw, mode)
        line = bad(["-u", "admin", watch.spec, "whoami"], watch,
                   "0600 or stricter", password_file=pw)
        assert "%04o" % mode in line
        assert "secret" not in line


def test_password_file_missing_or_odd(watch, tmp_path):
    bad(["-u", "admin", watch.spec, "whoami"], watch, "No such file",
        password_file=tmp_path / "none")
    bad(["-u", "admin", watch.spec, "whoami"], watch, "not a regular file",
        password_file=tmp_path)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    os.chmod(empty, 0o600)
    bad(["-u", "admin", watch.spec, "whoami"], watch, "empty password",
        password_file=empty)


def test_no_password_source_without_terminal(watch):
    bad(["-u", "admin", watch.spec, "whoami"], watch, "no password")


def test_password_with_blank_refused(watch):
    line = bad(["-u", "admin", watch.spec, "whoami"], watch, "password",
               password="two words")
    assert "two words" not in line
    bad(["-u", "ad min", watch.spec, "whoami"], watch, "user name",
        password="x")
