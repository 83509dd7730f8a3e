"""No connection waits for the next one (issue 18).

One idle worker is woken per connection (EPOLLEXCLUSIVE), so a worker
killed between its wake-up and its accept, or one that leaves on a reload
without accepting, must not strand the client: the master makes the
others look when it reaps it (src/listener.c has the argument).  Here one
client connects again and again for LOOP_SECONDS and, before half of its
connections, at random, kills an idle worker (then, in the second test,
sends the master SIGHUP), at once or a moment before connecting: at once
is when the woken worker is most likely the dying one.  The longest time
any connection waited for its `version` reply is measured and bounded by
the issue's 1.5 s.  Now and then the client holds two more sessions for a
moment, so that the pool has more idle workers than `workers` and a death
is not always followed by a respawn (whose registration would find the
client anyway).  Without the master's look, the kill loop left about one
connection in thirty kills waiting for the next one.

Processes are named by pid, taken from the daemon's process tree; a
worker gone between the listing and the kill is skipped.  Every loop
stops by itself after LOOP_SECONDS (a stuck connection adds at most
STUCK seconds).  Abuse tests never run under valgrind; marked slow
anyway."""

import os
import random
import signal
import socket
import time

import pytest

from conftest import wait_for

pytestmark = pytest.mark.slow

LOOP_SECONDS = 20.0
BOUND = 1.5           # the issue's: no connection waits longer
STUCK = 5.0           # how long a waiting connection is given, to measure


def ask_version(port):
    """(seconds from connect to the whole `version` reply or to the close,
    "ok" | "closed" | "stuck")."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=STUCK)
    try:
        s.sendall(b"version\n")
        buf = b""
        while b"300 DONE\n" not in buf:
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                return time.monotonic() - t0, "stuck"
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return time.monotonic() - t0, "closed"
            buf += chunk
        assert buf.startswith(b"200 OK\r\nargo-server ") or \
            buf.startswith(b"200 OK\nargo-server "), buf
        return time.monotonic() - t0, "ok"
    finally:
        s.close()


def idle_workers(d):
    """Workers asleep in epoll_pwait (wchan do_epoll_wait): idle ones,
    oldest first (the kernel walks a listener's waiters in the order they
    registered, so the oldest idle worker is the one a connection wakes)."""
    out = []
    for w in d.workers():
        try:
            with open("/proc/%d/wchan" % w) as f:
                if "epoll" not in f.read():
                    continue
            with open("/proc/%d/stat" % w) as f:
                st = f.read()
        except OSError:
            continue
        out.append((int(st[st.rindex(")") + 2:].split()[19]), w))
    return [w for _, w in sorted(out)]


class Loop:
    """The client: connect, `version`, close, for LOOP_SECONDS; before a
    connection, at random, POKE(rnd) the daemon (at once, or up to DELAY
    seconds before), and now and then hold two more sessions for a moment
    (spares get forked, and are surplus once they end)."""

    def __init__(self, d, poke, delay):
        self.d = d
        self.poke = poke
        self.delay = delay
        self.waits = []
        self.outcomes = {"ok": 0, "closed": 0, "stuck": 0}
        self.pokes = 0
        self.worst = (0.0, None)

    def run(self):
        rnd = random.Random(os.getpid())
        end = time.monotonic() + LOOP_SECONDS
        while time.monotonic() < end:
            if rnd.random() < 0.05:
                extra = [socket.create_connection(
                    ("127.0.0.1", self.d.port), timeout=STUCK)
                    for _ in range(2)]
                time.sleep(0.01)
                for s in extra:
                    s.close()
            poked = rnd.random() < 0.5 and self.poke(rnd)
            if poked:
                self.pokes += 1
                if rnd.random() < 0.5:
                    time.sleep(rnd.uniform(0, self.delay))
            took, what = ask_version(self.d.port)
            self.outcomes[what] += 1
            self.waits.append(took)
            if took > self.worst[0]:
                self.worst = (took, "after a poke" if poked else
                              "no poke just before")
        return self


def report(name, loop):
    w = sorted(loop.waits)
    print("\n%s: %d connections (%s), %d pokes; wait p50 %.1f ms, "
          "p99 %.1f ms, longest %.1f ms (%s)" % (
              name, len(w), ", ".join("%s %d" % kv for kv in
                                      loop.outcomes.items()),
              loop.pokes, 1000 * w[len(w) // 2],
              1000 * w[min(len(w) - 1, len(w) * 99 // 100)],
              1000 * loop.worst[0], loop.worst[1]))
    assert len(w) > 100, "too few connections to mean anything"
    assert loop.pokes > 50, loop.pokes
    assert loop.outcomes["stuck"] == 0, loop.outcomes
    assert loop.worst[0] < BOUND, "a connection waited %.2f s" % \
        loop.worst[0]


def test_kill_idle_workers_while_connecting(daemon_factory):
    """SIGKILL of an idle worker (mostly the oldest, the one the next
    connection wakes) at random moments, most often just before a
    connection: every connection is answered within 1.5 s."""
    d = daemon_factory(server={"workers": "2", "max_clients": "16"})

    def kill_one(rnd):
        idle = idle_workers(d)
        if not idle:
            return False
        w = idle[0] if rnd.random() < 0.7 else rnd.choice(idle)
        d.allowed_kills.add(w)
        try:
            os.kill(w, signal.SIGKILL)
        except ProcessLookupError:      # it left since the listing
            return False
        return True

    loop = Loop(d, kill_one, 0.002).run()
    report("kill loop", loop)
    # Only this client connects, so a worker listed idle has not taken a
    # client by the kill: none is closed on it, but for a rare race.
    assert loop.outcomes["closed"] <= loop.pokes // 50 + 1, loop.outcomes
    assert wait_for(lambda: len(d.workers()) >= 2, 5), d.workers()
    assert not d.grep("throttling")


def test_reload_while_connecting(daemon_factory):
    """SIGHUP at random moments, most often just before a connection
    (idle workers of the old generation leave, woken or not): every
    connection is answered within 1.5 s, none is closed."""
    d = daemon_factory(server={"workers": "2", "max_clients": "16"})
    mark = d.mark()

    def hup(rnd):
        os.kill(d.pid, signal.SIGHUP)
        return True

    loop = Loop(d, hup, 0.003).run()
    report("reload loop", loop)
    assert loop.outcomes["closed"] == 0, loop.outcomes
    assert len(d.grep(r"reload: \S+ loaded", since=mark)) > 50
    assert not d.grep("reload failed", since=mark)
