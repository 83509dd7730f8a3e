"""The line protocol (DESIGN section 2) and the commands that need no
toolstack: replies, reasons, line ends, telnet bytes, limits."""

import re
import time

import pytest

from conftest import HELP_USAGES, VERSION, SAMPLE_CFGS, LONG_NAME, body, ok

AVAILABLE = sorted(["web1", "web2", "db1", "bare", "localhost", LONG_NAME])


@pytest.fixture(scope="module")
def d(module_factory):
    return module_factory(users={"admin": {}})


@pytest.fixture
def c(d):
    with d.client() as cl:
        yield cl


def test_version_exact_bytes(c):
    c.send("version\n")
    want = b"200 OK\nargo-server %s\n300 DONE\n" % VERSION.encode()
    got = b""
    while len(got) < len(want):
        got += c.rawline()
    assert got == want
    assert c.nothing_for(0.2)


def test_help_lists_every_command(c):
    r = c.cmd("help")
    lines = body(r)
    for usage in HELP_USAGES:
        hits = [ln for ln in lines if re.match(re.escape(usage) + r"\s+\S", ln)]
        assert len(hits) == 1, (usage, lines)
    text = "\n".join(lines)
    for alias in ("boot", "create", "quit"):
        assert re.search(r"\b%s\b" % alias, text), (alias, lines)
    # one line per command, no stray lines
    assert len(lines) == len(HELP_USAGES)


def test_whoami_anonymous(c):
    assert c.cmd("whoami") == ["200 OK", "anonymous", "300 DONE"]


def test_list_available_sorted(c):
    assert body(c.cmd("list available")) == AVAILABLE


def test_quit_and_exit_say_bye_and_close(d):
    for word in ("quit", "exit", "QUIT", "Exit"):
        with d.client() as c:
            assert c.cmd(word) == ["200 OK", "300 BYE"]
            assert c.closed_within(), word


def test_quit_session_end_logged(d):
    mark = d.mark()
    with d.client() as c:
        c.cmd("version")
        c.cmd("whoami")
        assert c.cmd("quit") == ["200 OK", "300 BYE"]
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=quit "
               r"requests=3$", since=mark)
    assert d.grep(r"^session start peer=127\.0\.0\.1$", since=mark)


def test_eof_session_end_logged(d):
    mark = d.mark()
    with d.client() as c:
        c.cmd("version")
    d.wait_log(r"^session end peer=127\.0\.0\.1 user=- reason=eof "
               r"requests=1$", since=mark)


@pytest.mark.parametrize("req", ["frobnicate", "xyzzy web1", "lists available",
                                 "helpme", "boo", "-h", "200 OK", "/bin/sh"])
def test_unknown_command(c, req):
    assert c.cmd(req) == ["400 UNKNOWN COMMAND"]
    # the session goes on
    assert c.cmd("version") == ["200 OK", "argo-server " + VERSION, "300 DONE"]


@pytest.mark.parametrize("req,usage", [
    ("help me", "help"),
    ("version 2", "version"),
    ("whoami x", "whoami"),
    ("auth", "auth USER PASSWORD"),
    ("auth admin", "auth USER PASSWORD"),
    ("auth a b c", "auth USER PASSWORD"),
    ("status", "status NAME"),
    ("status web1 web2", "status NAME"),
    ("ip", "ip NAME"),
    ("ip a b", "ip NAME"),
    ("start", "start NAME"),
    ("boot", "boot NAME"),
    ("create", "create NAME"),
    ("shutdown", "shutdown NAME"),
    ("reboot a b", "reboot NAME"),
    ("destroy", "destroy NAME"),
    ("pause", "pause NAME"),
    ("unpause x y", "unpause NAME"),
    ("exit now", "exit"),
    ("quit now", "quit"),
    ("list", "list available|running"),
    ("list foo", "list available|running"),
    ("list availables", "list available|running"),
    ("LIST foo bar", "list available|running"),
])
def test_usage(c, req, usage):
    assert c.cmd(req) == ["400 USAGE: " + usage]


def test_usage_list_extra_word(c):
    r = c.cmd("list available extra")
    assert len(r) == 1 and r[0].startswith("400 USAGE: list "), r


def test_commands_case_insensitive(c):
    assert c.cmd("VERSION") == ["200 OK", "argo-server " + VERSION, "300 DONE"]
    assert c.cmd("WhoAmI") == ["200 OK", "anonymous", "300 DONE"]
    assert body(c.cmd("LIST AVAILABLE")) == AVAILABLE
    assert body(c.cmd("List Available")) == AVAILABLE
    assert c.cmd("HeLp")[0] == "200 OK"


def test_instance_names_case_sensitive(c):
    assert c.cmd("status WEB1") == ["400 NO SUCH INSTANCE"]
    assert c.cmd("ip Web1") == ["400 NO SUCH INSTANCE"]


def test_user_names_case_sensitive(d):
    with d.client() as c:
        from conftest import PASSWORDS
        assert c.cmd("auth ADMIN " + PASSWORDS["admin"],
                     timeout=10) == ["400 AUTHENTICATION FAILED"]


def test_blanks_between_words(c):
    for req in ("list   available", "list\tavailable", "  list available",
                "\tlist \t available \t", "list available   "):
        assert body(c.cmd(req)) == AVAILABLE, repr(req)


def test_blank_lines_get_no_reply(c):
    c.send("\n   \n\t\n\r\n \t \r\n")
    assert c.nothing_for(0.5)
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_pipelined_in_order(c):
    c.send("version\nwhoami\n\nfoo\nlist available\nlist\nstatus nosuch\n"
           "help\nversion\n")
    assert c.reply() == ["200 OK", "argo-server " + VERSION, "300 DONE"]
    assert c.reply() == ["200 OK", "anonymous", "300 DONE"]
    assert c.reply() == ["400 UNKNOWN COMMAND"]
    assert body(c.reply()) == AVAILABLE
    assert c.reply() == ["400 USAGE: list available|running"]
    assert c.reply() == ["400 NO SUCH INSTANCE"]
    assert len(body(c.reply())) == len(HELP_USAGES)
    assert c.reply() == ["200 OK", "argo-server " + VERSION, "300 DONE"]
    assert c.nothing_for(0.3)


def test_pipelined_many(c):
    n = 200
    c.send("version\nwhoami\n" * n)
    for _ in range(n):
        assert c.reply()[1] == "argo-server " + VERSION
        assert c.reply()[1] == "anonymous"


def test_pipelined_quit_drops_the_rest(d):
    with d.client() as c:
        c.send("version\nquit\nversion\n")
        assert c.reply()[1] == "argo-server " + VERSION
        assert c.reply() == ["200 OK", "300 BYE"]
        assert c.closed_within()


def test_crlf_line_end(c):
    c.send("version\r\nwhoami\r\n")
    assert c.reply()[1] == "argo-server " + VERSION
    assert c.reply()[1] == "anonymous"


def test_cr_nul_line_end(c):
    # telnet's Enter in character mode, and a piped "\r\n" through telnet
    # ("version\r\0\r\n"): one request, then an empty line (no reply).
    c.send(b"version\r\0whoami\r\0")
    assert c.reply()[1] == "argo-server " + VERSION
    assert c.reply()[1] == "anonymous"
    c.send(b"version\r\0\r\n")
    assert c.reply()[1] == "argo-server " + VERSION
    assert c.nothing_for(0.3)


def test_split_line_across_packets(c):
    for piece in (b"li", b"st av", b"ailab", b"le\r", b"\n"):
        c.send(piece)
        time.sleep(0.05)
    assert body(c.reply()) == AVAILABLE
    c.send(b"version\r")
    time.sleep(0.1)
    c.send(b"\0")
    assert c.reply()[1] == "argo-server " + VERSION


@pytest.mark.parametrize("data", [
    b"\xff\xfb\x01version\n",                  # IAC WILL ECHO first
    b"\xff\xfd\x03\xff\xfb\x18version\n",      # IAC DO SGA, IAC WILL TTYPE
    b"ver\xff\xf1sion\n",                      # IAC NOP inside a word
    b"version\xff\xfe\x01\n",                  # IAC DONT ECHO before LF
    b"version\r\xff\xfc\x01\n",                # IAC WONT between CR and LF
    b"\xff\xfa\x18\x00xterm\xff\xf0version\n",  # subnegotiation
    b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0vers\xff\xfd\x01ion\r\0",
])
def test_telnet_iac_consumed(c, data):
    c.send(data)
    assert c.reply() == ["200 OK", "argo-server " + VERSION, "300 DONE"]
    # consumed silently: no IAC answer on the wire
    assert c.nothing_for(0.2)
    assert b"\xff" not in c.buf


def test_iac_split_across_packets(c):
    for piece in (b"\xff", b"\xfb", b"\x01ver", b"sion\xff", b"\xfa\x18",
                  b"\x00ab\xff", b"\xf0\n"):
        c.send(piece)
        time.sleep(0.03)
    assert c.reply() == ["200 OK", "argo-server " + VERSION, "300 DONE"]


def test_line_1024_bytes_ok(c):
    line = "version".ljust(1024)
    assert len(line) == 1024
    assert c.cmd(line)[1] == "argo-server " + VERSION
    # the CR of a CRLF does not count
    c.send(line + "\r\n")
    assert c.reply()[1] == "argo-server " + VERSION


def test_line_1025_bytes_too_long_then_continue(c):
    line = "version".ljust(1025)
    assert c.cmd(line) == ["400 LINE TOO LONG"]
    assert c.cmd("version")[1] == "argo-server " + VERSION


def test_huge_line_one_reply_rest_discarded(c):
    # the tail holds what would be commands: all discarded up to the LF
    junk = ("x" * 2000 + " version\twhoami\r") * 40
    c.send(junk + "\nwhoami\n")
    assert c.reply() == ["400 LINE TOO LONG"]
    assert c.reply() == ["200 OK", "anonymous", "300 DONE"]
    assert c.nothing_for(0.3)


def test_long_line_in_pieces(c):
    for _ in range(20):
        c.send("y" * 500)
    c.send("\n")
    assert c.reply() == ["400 LINE TOO LONG"]
    assert c.cmd("whoami")[1] == "anonymous"


@pytest.mark.parametrize("data", [
    b"version\x00\n",
    b"ver\x00sion\n",
    b"\x00\n",
    b"vers\x01ion\n",
    b"version\x1b[A\n",
    b"list available\x07\n",
    b"status web1\x7f\n",
    b"auth admin pw\x04\n",
])
def test_bad_request_control_bytes(c, data):
    c.send(data)
    assert c.reply() == ["400 BAD REQUEST"]
    assert c.cmd("whoami") == ["200 OK", "anonymous", "300 DONE"]


def test_control_bytes_sanitised_in_log(d):
    mark = d.mark()
    # its own source: the end line waited for below is this session's
    with d.client(source="127.0.0.5") as c:
        c.send(b"\x1b]0;evil\x07 x\n")
        assert c.reply() == ["400 BAD REQUEST"]
        c.send(b"caf\xc3\xa9\x1b\n")
        c.reply()
    # What its worker logs of these requests comes through the relay
    # before its session end line: once that is in, nothing more is due.
    d.wait_log(r"^session end peer=127\.0\.0\.5 ", since=mark)
    assert "\x1b" not in d.log()[mark:]
    assert "\x07" not in d.log()[mark:]


def test_no_greeting(c):
    assert c.nothing_for(0.5)


def test_reply_lines_end_with_lf(c):
    c.send("help\n")
    raws = []
    while True:
        raw = c.rawline()
        raws.append(raw)
        if raw.startswith(b"300 "):
            break
    for raw in raws:
        assert raw.endswith(b"\n") and not raw.endswith(b"\r\n"), raw


def test_auth_then_whoami(d):
    from conftest import PASSWORDS
    with d.client() as c:
        ok(c.cmd("auth admin " + PASSWORDS["admin"], timeout=30))
        assert c.cmd("whoami") == ["200 OK", "admin", "300 DONE"]
        assert c.cmd("quit") == ["200 OK", "300 BYE"]


def test_pipelined_replies_past_the_output_buffer(daemon_factory):
    # 300 instances of 64-byte names: ~20 KB a reply, ~270 of them in one
    # 4 KiB read: far more than the 4 MiB output buffer.  Every reply must
    # still arrive whole, ending in 300 DONE (it used to be cut mid-line
    # and the connection closed).
    names = ["%s%03d" % ("x" * 61, i) for i in range(300)]
    d = daemon_factory(cfgs={"n%03d.cfg" % i: 'name = "%s"\n' % n
                             for i, n in enumerate(names)})
    with d.client(timeout=60) as c:
        n = 1000
        c.send("list available\n" * n)
        for i in range(n):
            r = c.reply()
            assert r[-1] == "300 DONE" and body(r) == names, (i, r[-2:])
        assert c.cmd("version")[1] == "argo-server " + VERSION
