"""Console mode (DESIGN.md section 3), the client's side: against a
server of our own that speaks the contract (always), and against the real
daemon and its simulated guest (skipped, with the reason, while the
daemon answers `console` with 400 UNKNOWN COMMAND).  On a terminal
(expect): raw mode while attached, Ctrl-] back, and the terminal restored
(`stty -g` before and after) on every way out, signals included."""

import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import (PASSWORD, SLOW, VALGRIND, check_clean, client_argv,
                      expect, lines, run, wait_for)
from fakeserver import ConsoleScript
from procs import children_of, stat_fields

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture
def con(fake):
    return fake("127.0.0.60", ConsoleScript())


# ------------------------------------------------------------ piped input

def test_direct_console_and_quit(con):
    r = run(con.spec, "console", "web1", input="hello\x1d")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "hello\n"          # the echo, then CR LF
    assert con.console_bytes == [b"hello\x1d"]
    assert wait_for(lambda: con.received, 5)
    assert con.received[0].endswith(b"\x1dquit\n")


def test_end_of_input_detaches(con):
    r = run(con.spec, "console", "web1", input="")
    assert r.returncode == 0, r.stderr
    assert con.console_bytes == [b"\x1d"]


def test_console_that_ends_by_itself(con):
    """The guest goes away: the client is back without any Ctrl-], with
    stdin open and silent."""
    p = subprocess.Popen(client_argv(con.spec, "console", "ends"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        p.wait(10 * SLOW)           # stdin open: no end of input
        out, err = p.stdout.read(), p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    assert p.returncode == 0, err
    assert out == b"guest: bye\r\nguest: powering off\r\n\r\n"
    assert wait_for(lambda: con.received, 5)
    assert con.received[0] == b"console ends\nquit\n"


def test_end_split_and_look_alikes(con):
    """Look-alikes of the end pass through unchanged (one of them the end
    with its token one digit short); the real end, sent one byte at a
    time, still ends it."""
    r = subprocess.run(client_argv(con.spec, "console", "split"),
                       input=b"x\x1d", capture_output=True,
                       timeout=20 * SLOW, start_new_session=True)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(rb"look-alike: \r\n300 DONE!\r\n300 DON\r\n\r\n"
                        rb"300 DONEE\n\r\n300 DONE [0-9a-f]{31}\nx\r\n",
                        r.stdout), r.stdout


def test_guest_cannot_end_the_console(con):
    """The guest prints the old end (no token), an end with a guessed
    token and a fake reply: all of it is guest output, what is typed next
    still goes to the guest, and only the real end ends the console."""
    r = subprocess.run(client_argv(con.spec), input=b"console liar\n"
                       b"auth admin secret\n\x1dwhoami\n",
                       capture_output=True, timeout=20 * SLOW,
                       start_new_session=True)
    assert r.returncode == 0, r.stderr
    assert con.console_bytes == [b"auth admin secret\n\x1d"]
    assert re.match(rb"\r\n300 DONE\n\r\n300 DONE [0-9a-f]{32}\n"
                    rb"200 OK\nadmin\n300 DONE\n", r.stdout), r.stdout
    assert r.stdout.endswith(b"auth admin secret<0a>\r\nanonymous\n"), \
        r.stdout
    assert wait_for(lambda: con.received, 5)
    assert con.received[0].endswith(b"\x1dwhoami\nquit\n")


def test_console_without_a_token_is_refused(fake):
    """A server that does not say how its console ends (a plain 200 OK)
    is not trusted with a terminal: nothing is relayed."""
    def old_server(server, c):
        while True:
            ln = c.line()
            if ln.startswith("console"):
                c.send(b"200 OK\nguest\r\n300 DONE\n")
            elif ln.startswith("quit"):
                c.send(b"200 OK\n300 BYE\n")
                return
    s = fake("127.0.0.61", old_server)
    r = run(s.spec, "console", "web1", input="x\x1d")
    assert r.returncode == 2, r.stderr
    assert lines(r.stderr) == ["%s: protocol error: unexpected reply to "
                               "console" % s.spec]


def test_console_that_never_ends_is_bounded(con):
    t0 = time.monotonic()
    r = run("-t", "2", con.spec, "console", "stuck", input="\x1d")
    assert r.returncode == 2
    assert lines(r.stderr) == ["%s: console did not end within 2 s of "
                               "Ctrl-]" % con.spec]
    assert time.monotonic() - t0 < 2 + 3 * SLOW


@pytest.mark.parametrize("name,reason", [("off", "NOT RUNNING"),
                                         ("busy", "CONSOLE BUSY"),
                                         ("nosuch", "NO SUCH INSTANCE")])
def test_console_refused(con, name, reason):
    r = run(con.spec, "console", name, input="x\x1d")
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 %s" % (con.spec, reason)]
    assert con.console_bytes == []


def test_console_after_login(con):
    r = run("-u", "steve", con.spec, "console", "web1", input="q\x1d",
            password="pw")
    assert r.returncode == 0, r.stderr
    assert con.console_bytes == [b"q\x1d"]
    assert wait_for(lambda: con.received, 5)
    assert con.received[0].startswith(b"auth steve pw\nconsole web1\n")


def test_console_login_refused(con):
    r = run("-u", "steve", con.spec, "console", "web1", input="q\x1d",
            password="wrong")
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 AUTHENTICATION FAILED" % con.spec]
    assert con.console_bytes == []


# ------------------------------------------------------------ terminal

class Tty:
    """console.exp running `sh -c` around the client on a pty."""

    def __init__(self, tmp_path, mode, *client_args, env=None,
                 jobctl=False):
        self.d = tmp_path
        self.go = tmp_path / "go"
        self.jobctl = jobctl
        argv = client_argv(*client_args)
        if jobctl:
            argv = [sys.executable, os.path.join(HERE, "jobctl.py")] + argv
        quoted = " ".join("'%s'" % a for a in argv)
        sh = ("tty > {d}/tty; stty -g > {d}/before; echo $$ > {d}/sh; "
              "{c}; echo \"rc=$?\"; stty -g > {d}/after").format(
                  d=tmp_path, c=quoted)
        self.p = subprocess.Popen(
            ["expect", "-f", os.path.join(HERE, "console.exp"), mode,
             str(self.go), "sh", "-c", sh], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, **(env or {})))
        self.out = ""

    def read_until(self, text, timeout=30):
        deadline = time.monotonic() + timeout * SLOW
        while text not in self.out:
            left = deadline - time.monotonic()
            assert left > 0, "no %r in %r" % (text, self.out)
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 4096).decode()
                assert chunk, "expect ended: %r" % self.out
                self.out += chunk

    def finish(self):
        try:
            rest, _ = self.p.communicate(timeout=60 * SLOW)
        finally:
            if self.p.poll() is None:
                self.p.kill()
                self.p.wait(10)
        self.out += rest
        return self.out

    def client_pid(self):
        pid = int((self.d / "sh").read_text())
        for _ in range(2 if self.jobctl else 1):
            kids = children_of(pid)
            assert len(kids) == 1, kids
            pid = kids[0]
        return pid

    def mode(self):
        tty = (self.d / "tty").read_text().strip()
        r = subprocess.run(["stty", "-F", tty, "-g"], capture_output=True,
                           text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def restored(self):
        return (self.d / "before").read_text() == \
            (self.d / "after").read_text()


def test_tty_raw_then_restored(con, tmp_path):
    t = Tty(tmp_path, "type", con.spec, "console", "web1")
    out = t.finish()
    assert "ECHO ok" in out and "RC 0" in out, out
    # Every byte went at once, Ctrl-C as a byte: raw mode.
    assert con.console_bytes == [b"ab\x03c\x1d"]
    assert t.restored()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP,
                                 signal.SIGINT])
def test_tty_restored_when_killed(con, tmp_path, sig):
    t = Tty(tmp_path, "signal", con.spec, "console", "web1")
    t.read_until("ATTACHED")
    assert t.mode() != (tmp_path / "before").read_text()   # raw now
    os.kill(t.client_pid(), sig)
    out = t.finish()
    assert "RC %d" % (128 + sig) in out, out
    assert t.restored()


@pytest.mark.skipif(VALGRIND, reason="under valgrind a stop signal's "
                    "default action never stops the process (valgrind "
                    "3.19 keeps it running), so there is no stop to see")
def test_tty_stop_and_continue(con, tmp_path):
    """SIGTSTP gives the terminal back while stopped; SIGCONT takes it
    raw again; Ctrl-] then ends normally."""
    t = Tty(tmp_path, "wait", con.spec, "console", "web1", jobctl=True)
    t.read_until("ATTACHED")
    before = (tmp_path / "before").read_text()
    raw = t.mode()
    assert raw != before
    pid = t.client_pid()
    os.kill(pid, signal.SIGTSTP)
    assert wait_for(lambda: (stat_fields(pid) or ("?",))[0] == "T",
                    10 * SLOW)
    assert t.mode() == before
    os.kill(pid, signal.SIGCONT)
    assert wait_for(lambda: t.mode() == raw, 10 * SLOW)
    t.go.write_text("")
    out = t.finish()
    assert "RC 0" in out, out
    assert t.restored()


def test_tty_interactive_console_switch(con, tmp_path):
    """In an interactive session: `console web1` switches to raw mode,
    Ctrl-] comes back to the prompt, and quit ends it restored."""
    before = tmp_path / "before"
    after = tmp_path / "after"
    sh = "stty -g > %s; %s; stty -g > %s" % (
        before, " ".join("'%s'" % a for a in client_argv(con.spec)), after)
    r, rc = expect("console_switch.exp", con.spec, "sh", "-c", sh)
    assert rc == 0, r.stdout
    assert "not ok" not in r.stdout, r.stdout
    assert con.console_bytes == [b"hi\x1d"]
    assert before.read_text() == after.read_text()


# ------------------------------------------------------------ real daemon

def probe_console(d, name):
    """Skip unless the daemon has console; fail unless it works."""
    s = socket.create_connection((d.addr, d.port), 10)
    s.settimeout(10 * SLOW)
    try:
        s.sendall(("auth admin %s\nconsole %s\n" % (PASSWORD, name))
                  .encode())
        buf = b""
        while buf.count(b"\n") < 3 and not buf.startswith(b"400"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        first = buf.split(b"\n")
        assert first[:2] == [b"200 OK", b"300 DONE"], buf
        if first[2] == b"400 UNKNOWN COMMAND":
            pytest.skip("the daemon answers console with 400 UNKNOWN "
                        "COMMAND: no server-side console yet")
        m = re.fullmatch(rb"200 OK console end=([0-9a-f]{32})", first[2])
        assert m, buf
        end = b"\r\n300 DONE " + m.group(1) + b"\n"
        while b" login: " not in buf:      # the tool is there: raw mode
            chunk = s.recv(4096)
            assert chunk, buf
            buf += chunk
        s.sendall(b"\x1d")
        deadline = time.monotonic() + 10 * SLOW
        while end not in buf and time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        assert end in buf, buf
    finally:
        s.close()


@pytest.fixture
def guest(fleet):
    d = fleet[0]
    d.start_guest("web1")
    try:
        probe_console(d, "web1")
        yield d
    finally:
        d.xl_run("destroy", "web1")


def test_real_console_piped(guest):
    r = run("-u", "admin", guest.spec, "console", "web1", input="\x1d",
            password=PASSWORD)
    assert r.returncode == 0, r.stderr
    r = run("-u", "admin", guest.spec, password=PASSWORD,
            input="console web1\n\x1d\nwhoami\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("\nadmin\n"), r.stdout


def test_real_console_not_running(guest, fleet):
    d = fleet[1]
    r = run("-u", "admin", d.spec, "console", "web1", input="\x1d",
            password=PASSWORD)
    assert r.returncode == 1
    assert lines(r.stderr) == ["%s: 400 NOT RUNNING" % d.spec]


def test_real_console_on_a_terminal(guest, tmp_path):
    t = Tty(tmp_path, "wait", "-u", "admin", guest.spec, "console", "web1",
            env={"ARGO_PASSWORD": PASSWORD})
    t.read_until("ATTACHED")
    assert t.mode() != (tmp_path / "before").read_text()
    t.go.write_text("")
    out = t.finish()
    assert "RC 0" in out, out
    assert t.restored()


@pytest.mark.parametrize("fake_end", [
    b"\r\n300 DONE\r\n",
    b"\r\n300 DONE 0123456789abcdef0123456789abcdef\n"],
    ids=["old-end", "guessed-token"])
def test_real_guest_cannot_end_the_console(guest, fake_end):
    """Issue 18: a guest that prints the old end line, or one with a
    guessed token, does not end the console in argo: what is typed next
    goes to the guest, and the real end (Ctrl-]) still works."""
    guest.inject("console", print=fake_end.decode())
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("ARGO_PASSWORD")}
    e["ARGO_PASSWORD"] = PASSWORD
    p = subprocess.Popen(client_argv("-u", "admin", guest.spec),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=e,
                         start_new_session=True)
    out = b""

    def until(needle):
        nonlocal out
        deadline = time.monotonic() + 20 * SLOW
        while needle not in out:
            left = deadline - time.monotonic()
            assert left > 0, "no %r in %r" % (needle, out)
            r, _, _ = select.select([p.stdout], [], [], left)
            if r:
                chunk = os.read(p.stdout.fileno(), 65536)
                assert chunk, "argo ended: %r %r" % (out, p.stderr.read())
                out += chunk
    try:
        p.stdin.write(b"console web1\n")
        p.stdin.flush()
        # the fake end arrives as it is: argo did not take it for the end
        # (a CR LF at the end of what came is held back: it may begin the
        # real end)
        until(b"web1 login: " + fake_end.rstrip(b"\r\n"))
        p.stdin.write(b"auth admin typed-after\r")
        p.stdin.flush()
        until(b"auth admin typed-after")         # the guest's echo
        p.stdin.write(b"\x1d")
        p.stdin.flush()
        until(b"typed-after\r\n\r\n")            # the real end: CR LF
        rest, err = p.communicate(b"whoami\n", timeout=20 * SLOW)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
        guest.clear_inject()
    out += rest
    check_clean(p.returncode, err.decode(errors="replace"))
    assert p.returncode == 0, err
    assert out.endswith(b"typed-after\r\n\r\nadmin\n"), out
    assert (b"web1 login: " + fake_end + b"auth admin typed-after") in out
