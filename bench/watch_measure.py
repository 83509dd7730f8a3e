#!/usr/bin/python3
"""Measure `watch` (issue 21): toolstack `list` calls per minute with 1 and
with N watchers, the delay from a change to its line, and the memory a
watcher costs (the PSS of its worker and of the broker).  One daemon of
ARGO_BIN on loopback with the simulated xl (tests/fake-xen), through the
end-to-end harness.  Not part of any check; run from the repository root:

    ARGO_BIN=$PWD/build/plain/argo-server /usr/bin/python3 \\
        bench/watch_measure.py [WATCHERS] [SECONDS] [INTERVAL]

(defaults 50, 60, 2).  Prints one line per figure.
"""

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests/e2e"))
from conftest import Daemon, wait_for  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 50
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
INTERVAL = int(sys.argv[3]) if len(sys.argv) > 3 else 2


def pss_kb(pid):
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for ln in f:
                if ln.startswith("Pss:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return 0


def list_calls(d):
    return sum(1 for a in d.argvs_since(0) if a[1:2] == ["list"])


def watch(d, names):
    c = d.session()
    c.send("watch\n")
    assert c.line() == "200 OK"
    for _ in names:
        c.line(timeout=30)
    return c


def rate(d, seconds):
    n0, t0 = list_calls(d), time.monotonic()
    time.sleep(seconds)     # a measurement window, not a synchronisation
    return (list_calls(d) - n0) * 60.0 / (time.monotonic() - t0)


def main():
    root = tempfile.mkdtemp(prefix="argo-watch-bench-")
    d = Daemon(root, toolstack="xl", require_toolstack=True,
               users={"admin": {}},
               server={"watch_interval": str(INTERVAL), "workers": "4",
                       "max_clients": str(N + 16),
                       "max_per_host": str(N + 16)})
    d.start()
    try:
        names = [ln for ln in d.ask("list available")[1:-1]]
        print("instances: %d, watch_interval %d s" % (len(names), INTERVAL))
        print("list calls/min, nobody watching: %.1f" % rate(d, 10))
        one = watch(d, names)
        print("list calls/min, 1 watcher: %.1f" % rate(d, SECONDS))
        # The delay from a change (its reply) to its line.
        delays = []
        with d.session("admin") as a:
            a.cmd("start web1")
            while True:
                ln = one.line(timeout=30)
                if " web1 state=running" in ln:
                    break
            for i in range(10):
                for verb, state in (("pause", "paused"),
                                    ("unpause", "running")):
                    # At a random moment of the interval.
                    time.sleep(random.uniform(0, INTERVAL))
                    assert a.cmd("%s web1" % verb)[0] == "200 OK"
                    t = time.monotonic()
                    while (" web1 state=%s " % state) not in one.line(
                            timeout=30):
                        pass
                    delays.append(time.monotonic() - t)
            a.cmd("destroy web1")
        print("change to line, %d changes: min %.2f s, median %.2f s, "
              "max %.2f s" % (len(delays), min(delays),
                              statistics.median(delays), max(delays)))
        # Memory: the workers and the broker, before and with N watchers.
        broker = d.broker()
        one.send("\n")
        while one.line() != "300 DONE":
            pass
        wait_for(d.settled, 5)
        idle = {p: pss_kb(p) for p in d.workers()}
        b0 = pss_kb(broker)
        t0 = pss_kb(d.pid) + b0 + sum(idle.values())
        ws = [watch(d, names) for _ in range(N)]
        wait_for(d.settled, 10)
        busy = {p: pss_kb(p) for p in d.workers()}
        b1 = pss_kb(broker)
        t1 = pss_kb(d.pid) + b1 + sum(busy.values())
        print("%d watchers: %d workers (PSS mean %d kB; %d idle before, "
              "mean %d kB), broker PSS %d -> %d kB (+%.1f kB a watcher), "
              "the daemon's PSS %d -> %d kB (+%.1f kB a watcher, its "
              "worker included)" % (
                  N, len(busy), statistics.mean(busy.values()), len(idle),
                  statistics.mean(idle.values()) if idle else 0, b0, b1,
                  (b1 - b0) / N, t0, t1, (t1 - t0) / N))
        print("list calls/min, %d watchers: %.1f" % (N, rate(d, SECONDS)))
        for c in ws:
            c.close()
        one.close()
    finally:
        d.stop()
        d.kill()


if __name__ == "__main__":
    main()
