"""TCP line client for argo-server's protocol, shared by the test harnesses
(tests/e2e/conftest.py, tests/abuse/conftest.py, tests/soak/soak.py).
Standard library only.

A reply is one `400 REASON` line, or `200 OK`, body lines and a `300 ...`
line (`300 DONE`, `300 BYE`).  Lines come back as text without their LF;
a CR before the LF, which clients must accept, is dropped too.  Every read
has a deadline: `timeout` seconds per call (the client's own bound if
None), after which socket.timeout is raised.

A harness subclasses LineClient and sets:
  default_timeout  the bound when the constructor is given none
  error            what a malformed reply raises (AssertionError under
                   pytest, ProtocolError in a standalone script)
  max_body         the most lines a reply may have, or None
"""

import socket
import time


class Closed(Exception):
    """The server closed the connection before a complete line."""


class ProtocolError(Exception):
    """A reply that breaks the protocol's shape."""


class LineClient:
    """One TCP session with buffered line reading."""

    default_timeout = 5.0
    error = ProtocolError
    max_body = None

    def __init__(self, port, source=None, host="127.0.0.1", timeout=None):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.timeout = timeout or self.default_timeout
        self.sock.settimeout(self.timeout)
        if source:
            self.sock.bind((source, 0))
        self.sock.connect((host, port))
        self.buf = b""
        self.eof = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        """Read once into the buffer; False at end of stream."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def rawline(self, timeout=None):
        """One line as bytes including its LF."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while b"\n" not in self.buf:
            if self.eof or not self._fill(deadline):
                raise Closed("connection closed; pending %r" % self.buf[:200])
        i = self.buf.index(b"\n") + 1
        line, self.buf = self.buf[:i], self.buf[i:]
        return line

    def line(self, timeout=None):
        s = self.rawline(timeout)[:-1]
        if s.endswith(b"\r"):
            s = s[:-1]
        return s.decode("utf-8", "replace")

    def reply(self, timeout=None):
        """One complete reply: ["400 X"] or ["200 OK", body..., "300 ..."]."""
        first = self.line(timeout)
        if first.startswith("400 "):
            return [first]
        if first != "200 OK":
            raise self.error("bad reply start %r" % first)
        out = [first]
        while True:
            ln = self.line(timeout)
            out.append(ln)
            if ln.startswith("300 "):
                return out
            if ln.startswith(("200 ", "400 ")):
                raise self.error("reply code inside a body: %r" % out)
            if self.max_body is not None and len(out) > self.max_body:
                raise self.error("endless body")

    def cmd(self, text, timeout=None):
        self.send(text + "\n")
        return self.reply(timeout)

    def read_all(self, timeout=None):
        """Everything until the server closes (raises on timeout)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.eof:
            self._fill(deadline)
        data, self.buf = self.buf, b""
        return data
