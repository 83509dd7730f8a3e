"""Line servers of the tests' own, on loopback, for what a real daemon
will not do on demand: never answer, answer slowly while counting how
many connections are open at once, break the protocol, and speak the
console contract of DESIGN.md section 3 (so that the client's console
side can be tested whatever the daemon's state).

Each FakeServer listens on one (address, port 0) in a thread of the test
process and serves every connection in a thread of its own; stop() closes
the listener and every connection and joins the threads (bounded).
Standard library only.
"""

import os
import socket
import threading
import time

ESC = b"\x1d"                     # Ctrl-], the console escape
OLD_END = b"\r\n300 DONE\n"       # the end before it carried a token


def console_token():
    """A console's end token, as argo-server(8) CONSOLE makes it."""
    return os.urandom(16).hex().encode()


def console_end(token):
    """What ends the console whose 200 line announced TOKEN."""
    return b"\r\n300 DONE " + token + b"\n"


def peak_open(servers):
    """Most connections open at once across SERVERS."""
    events = sorted(e for s in servers for e in s.events)
    now = peak = 0
    for _, delta in events:
        now += delta
        peak = max(peak, now)
    return peak


class FakeServer:
    """behaviour(server, conn) handles one connection; conn is a Conn."""

    def __init__(self, addr, behaviour):
        self.addr = addr
        self.behaviour = behaviour
        self.lsock = socket.socket(socket.AF_INET6 if ":" in addr
                                   else socket.AF_INET)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((addr, 0))
        self.lsock.listen(64)
        self.lsock.settimeout(0.2)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.open_now = 0
        self.open_max = 0
        self.accepted = 0
        self.received = []        # bytes each connection sent, in order
        self.events = []          # (monotonic time, +1 open / -1 done)
        self.console_bytes = []   # what each console session got
        self.conns = []
        self.threads = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def spec(self):
        return ("[%s]:%d" if ":" in self.addr else "%s:%d") % (self.addr,
                                                                self.port)

    def _accept(self):
        while not self.stopping.is_set():
            try:
                s, _ = self.lsock.accept()
            except (socket.timeout, OSError):
                continue
            c = Conn(self, s)
            with self.lock:
                self.events.append((time.monotonic(), 1))
                self.accepted += 1
                self.open_now += 1
                self.open_max = max(self.open_max, self.open_now)
                self.conns.append(c)
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, c):
        try:
            self.behaviour(self, c)
        except (OSError, EOFError):
            pass
        finally:
            c.done()
            with self.lock:
                self.received.append(c.got)
            c.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.lsock.close()
        for c in list(self.conns):
            c.close()
        for t in self.threads:
            t.join(5)


class Conn:
    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.sock.settimeout(0.2)
        self.buf = b""
        self.got = b""
        self.finished = False

    def done(self):
        """The session is over for counting (before the last reply is
        sent, so that it precedes anything the client does next)."""
        if self.finished:
            return
        self.finished = True
        with self.server.lock:
            self.server.open_now -= 1
            self.server.events.append((time.monotonic(), -1))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def recv(self, deadline=None):
        """Some bytes, or EOFError at the end (or when the test stops)."""
        while not self.server.stopping.is_set():
            if deadline is not None and time.monotonic() > deadline:
                raise EOFError
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not b:
                raise EOFError
            self.got += b
            return b
        raise EOFError

    def line(self):
        while b"\n" not in self.buf:
            self.buf += self.recv()
        i = self.buf.index(b"\n")
        ln, self.buf = self.buf[:i], self.buf[i + 1:]
        return ln.rstrip(b"\r").decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data.encode() if isinstance(data, str) else data)


# -------------------------------------------------------------- behaviours

def silent(server, c):
    """Accepts, reads, never answers."""
    while True:
        c.recv()


def answering(body=("fake 1",), delay=0.0, crlf=False):
    """Every request gets 200 OK, BODY, 300 DONE after DELAY seconds;
    quit gets 300 BYE and a close."""
    end = "\r\n" if crlf else "\n"

    def run(server, c):
        while True:
            ln = c.line()
            if not ln.strip():
                continue
            if ln.split()[0].lower() in ("quit", "exit"):
                c.done()
                c.send("200 OK%s300 BYE%s" % (end, end))
                return
            time.sleep(delay)
            c.send("".join("%s%s" % (x, end)
                           for x in ["200 OK"] + list(body) + ["300 DONE"]))
    return run


def scripted(data, then_close=True):
    """Reads the first line, sends DATA (bytes) as it is, then closes (or
    reads to the end)."""
    def run(server, c):
        c.line()
        c.send(data)
        if not then_close:
            while True:
                c.recv()
    return run


def show(data):
    """Console echo: control bytes as <xx>, so a test sees them arrive."""
    return b"".join(b"<%02x>" % x if x < 0x20 or x == 0x7f else bytes([x])
                    for x in data)


class ConsoleScript:
    """The console contract with a few instances:
      web1    running: echoes input, control bytes shown as <xx>, until
              Ctrl-]; what follows Ctrl-] in the same packet is command
              input again
      ends    running: prints two lines, then ends by itself (the guest
              went away)
      split   running: like web1, but the end sequence goes out one byte
              at a time, and the output holds look-alikes of it first
      liar    running: like web1, but its guest first prints the old end
              (no token), a guessed token's end, and a fake reply
      stuck   running: never ends, not even on Ctrl-]
      off     400 NOT RUNNING;  busy  400 CONSOLE BUSY
    other commands: version, whoami, auth U P (P must be "pw"), quit."""

    def __init__(self):
        self.user = None

    def __call__(self, server, c):
        user = "anonymous"
        while True:
            ln = c.line()
            w = ln.split()
            if not w:
                continue
            cmd = w[0].lower()
            if cmd in ("quit", "exit"):
                c.send("200 OK\n300 BYE\n")
                return
            if cmd == "version":
                c.send("200 OK\nfake-console 1\n300 DONE\n")
            elif cmd == "whoami":
                c.send("200 OK\n%s\n300 DONE\n" % user)
            elif cmd == "auth" and len(w) == 3:
                if w[2] == "pw":
                    user = w[1]
                    c.send("200 OK\n300 DONE\n")
                else:
                    time.sleep(0.2)
                    c.send("400 AUTHENTICATION FAILED\n")
            elif cmd == "console" and len(w) == 2:
                self.console(server, c, w[1])
            else:
                c.send("400 UNKNOWN COMMAND\n")

    def console(self, server, c, name):
        if name == "off":
            c.send("400 NOT RUNNING\n")
            return
        if name == "busy":
            c.send("400 CONSOLE BUSY\n")
            return
        if name not in ("web1", "ends", "split", "stuck", "liar"):
            c.send("400 NO SUCH INSTANCE\n")
            return
        token = console_token()
        end = console_end(token)
        c.send(b"200 OK console end=" + token + b"\n")
        got = b""
        if name == "ends":
            c.send(b"guest: bye\r\nguest: powering off\r\n")
            time.sleep(0.3)
            c.send(end)
            server.console_bytes.append(got)
            return
        if name == "split":
            c.send(b"look-alike: \r\n300 DONE!\r\n300 DON\r\n\r\n300 DONEE\n"
                   b"\r\n300 DONE " + token[:-1] + b"\n")
        if name == "liar":
            c.send(OLD_END + console_end(console_token()) +
                   b"200 OK\nadmin\n300 DONE\n")
        # Console mode: our own buffer first (pipelined bytes).
        pending, c.buf = c.buf, b""
        while True:
            data = pending or c.recv()
            pending = b""
            if ESC in data:
                i = data.index(ESC)
                got += data[:i + 1]
                c.buf = data[i + 1:]
                c.send(show(data[:i]))
                if name == "stuck":
                    while True:
                        c.recv()
                break
            got += data
            c.send(show(data))
        server.console_bytes.append(got)
        if name == "split":
            for b in end:
                c.send(bytes([b]))
                time.sleep(0.01)
        else:
            c.send(end)
