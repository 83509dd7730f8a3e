"""One idle worker is woken per connection (EPOLLEXCLUSIVE).  So a woken
worker that is told to retire must still serve the client it was woken
for: no other idle worker will wake for it.  Made deterministic with
SIGSTOP: the master (which would spawn a replacement) and the idle workers
are stopped while a client connects and every worker is told to retire."""

import os
import signal
import time

from conftest import SLOW, alive, wait_for


def test_retiring_worker_serves_the_client_it_was_woken_for(daemon_factory):
    d = daemon_factory(server={"workers": "2"})
    assert wait_for(lambda: d.idle_settled(2), 5 * SLOW)
    workers = d.workers()
    stopped = [d.pid] + workers
    try:
        for p in stopped:
            os.kill(p, signal.SIGSTOP)
        c = d.client(timeout=5 * SLOW)
        c.send("version\n")
        time.sleep(0.2)
        for w in workers:
            os.kill(w, signal.SIGUSR1)      # retire, as the master does
        for w in workers:
            os.kill(w, signal.SIGCONT)
        # the master is still stopped: nobody can spawn a replacement
        t0 = time.monotonic()
        r = c.reply(timeout=3 * SLOW)
        assert r[0] == "200 OK" and r[1].startswith("argo-server "), r
        assert time.monotonic() - t0 < 2 * SLOW
        c.close()
        # and the workers do retire
        assert wait_for(lambda: not any(alive(w) for w in workers), 5 * SLOW)
    finally:
        os.kill(d.pid, signal.SIGCONT)
        for w in workers:
            if alive(w):
                os.kill(w, signal.SIGCONT)
    # the master replaces them
    assert wait_for(lambda: len(d.workers()) >= 2, 5 * SLOW)
    assert d.ask("version")[0] == "200 OK"


def test_one_wakeup_per_connection(daemon_factory):
    """With eight idle workers, a burst of short sessions is served
    without every idle worker waking for each (the herd): the sum of the
    idle workers' context switches stays near one per session."""
    d = daemon_factory(server={"workers": "8", "max_clients": "16"})
    assert wait_for(lambda: d.idle_settled(8), 5 * SLOW)

    def switches():
        total = 0
        for w in d.workers():
            try:
                with open("/proc/%d/status" % w) as f:
                    for ln in f:
                        if ln.startswith(("voluntary_ctxt_switches",
                                          "nonvoluntary_ctxt_switches")):
                            total += int(ln.split()[1])
            except OSError:
                pass
        return total

    before = switches()
    n = 200
    for _ in range(n):
        assert d.ask("version")[0] == "200 OK"
    spent = switches() - before
    # a session costs its worker a few switches; the herd cost 7 more
    # (every other idle worker) per session on top
    print("context switches of the idle workers: %d for %d sessions" % (spent, n))
    assert spent < 5 * n, spent
