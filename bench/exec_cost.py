#!/usr/bin/python3
"""The exec'd worker's cost, before and after, for `make bench`.

    python3 bench/exec_cost.py [ARGO_SERVER_BIN LOADGEN_BIN]

Since 3200a98 every worker is its own program: the master forks and execs
argo-worker (found beside argo-server).  Before (BENCH_BEFORE, default
130d0e5, the last commit with forked workers) a worker was a plain fork of
the master.  The issue asks that the exec be paid when a worker is
spawned, never per session; this measures both sides in one run:

  before   git archive of BENCH_BEFORE into build/bench-before/src, built
           there with `make B=build/bench CFLAGS=-O2` like the bench build
           (kept while the commit is the same; make is incremental).
           Without that commit in the clone (a shallow clone, a tarball),
           or with BENCH_BEFORE empty, the before columns are skipped and
           the reason is printed and written as "skipped".
  after    ARGO_SERVER_BIN (build/bench/argo-server, with argo-worker
           beside it; built here when no arguments are given).

1. Short sessions: two daemons with the same configuration (20 configs,
   workers = 4, anonymous_read), run side by side; bench/loadgen -m short
   (connect, `list available`, read to `300 DONE`, check the 20 lines,
   `quit`, read to `300 BYE` and EOF, close) from 1 and from 4 clients,
   EXEC_SECONDS (2) after a 0.5 s warm-up, EXEC_REPS (6) rounds in
   A B B A order (round r runs before then after when r is even, after
   then before when odd), so linear drift of a noisy machine hits both
   alike.  Reported: the median rate of each, and the after/before ratio
   as the median of the per-round ratios (each pair ran back to back).
   A worker is replaced after 1,000 sessions, so these runs include the
   spawns that steady short-session load causes (about rate/1000 per s).
   Server CPU per session is that of all the daemon's processes, reaped
   workers included, from /proc/PID/stat (clock ticks).

2. Spawn time, fork to first accept: two more daemons with workers = 32
   and max_clients = 64.  A worker is ready when it is blocked in the
   epoll_pwait(2) that waits for its first client: /proc/PID/syscall's
   first field is the syscall number (281 on x86_64, 22 on aarch64;
   elsewhere /proc/PID/wchan, ep_poll or do_epoll_wait).  Both versions
   wait there (worker.c: epoll_pwait on the listeners, after the sandbox
   and the scoreboard's IDLE), and nothing else of the master's children
   does (the broker waits in ppoll).  A round: all 32 ready workers are
   SIGKILLed at once (pids: the master's children from
   /proc/MASTER/task/MASTER/children, the broker, comm argo-broker,
   left out); the master reaps them and spawns 32 new ones in one wake-up
   (prefork.c, SPAWN_RATE_MAX); the clock stops when 32 new pids are all
   ready (polled every ms).  The clock starts at the SIGKILL, so it
   also holds the master's reaping (a SIGCHLD, a waitpid and a log
   line), small beside a spawn.  Reported: that time / 32, median of
   SPAWN_REPS (9) rounds per version, rounds alternating; on 2 CPUs the
   32 start-ups overlap, so this is the pool's refill time per worker,
   not one worker's latency.  Beside it, CPU per worker, exact from
   /proc/PID/schedstat (ns): each new worker's own time from fork to its
   first wait, and the master's and the broker's time over the round,
   divided by 32.
   The same for one worker at a time (one killed, polled every 0.2 ms
   until its successor waits: the latency of one replacement), median
   of EXEC_SINGLE_REPS (15) rounds: single_ms_per_worker, with its CPU.
   That CPU (worker, master, broker) divided by the sessions after
   which a worker is replaced (ARGO_MAX_SESSIONS_PER_WORKER, 1,000) is
   what steady short-session load pays per session for spawns:
   amortised_us_per_session.
   Killed idle workers are not start-up failures: the master throttles
   only after workers exit non-zero before their first accept, so they
   are respawned at once; the daemon's log is checked for "throttling"
   and for workers that failed to start, and the run fails if either
   shows up.

The daemons' chroot is an empty directory of the run's own (the daemon
makes it), not /var/lib/argo-server/empty, which a purge of the package
(make check-deb) running meanwhile would take away from under them.

Prints one JSON object on stdout, progress on stderr.  Loopback only;
every daemon runs under timeout(1) and is stopped by its pid; the run is
bounded by EXEC_LIMIT seconds (240), about 80 s on a 2-CPU VM (plus the
before build, ~15 s, the first time).  Needs root like the rest of make
bench (the workers drop to the account `argo-server`, or nobody) or
runs as is without.
"""

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Who is whose child, by pid: the test harnesses' own (tests/lib).
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from procs import BROKER_COMM, comm, children_of as children  # noqa: E402
BEFORE = os.environ.get("BENCH_BEFORE", "130d0e5")
BEFORE_DIR = os.path.join(ROOT, "build", "bench-before", "src")
BEFORE_ARGO = os.path.join(BEFORE_DIR, "build", "bench", "argo-server")
SECONDS = float(os.environ.get("EXEC_SECONDS", "2"))
REPS = int(os.environ.get("EXEC_REPS", "6"))
SPAWN_REPS = int(os.environ.get("EXEC_SPAWN_REPS", "9"))
SINGLE_REPS = int(os.environ.get("EXEC_SINGLE_REPS", "15"))
LIMIT = int(os.environ.get("EXEC_LIMIT", "240"))
WARMUP = 0.5
WORKERS = 4                     # as bench/run's daemons
POOL = 32                       # spawn test: workers killed and refilled
CONFIGS = 20
READY_RX = r"argo-server\[(\d+)\]: ready listen=127\.0\.0\.1:(\d+)"
EPOLL_PWAIT_NR = {"x86_64": 281, "aarch64": 22}.get(platform.machine())
EPOLL_WCHAN = ("ep_poll", "do_epoll_wait", "do_epoll_pwait")

procs = []                      # Popen of the daemons still to stop


def log(msg):
    print("exec_cost: " + msg, file=sys.stderr, flush=True)


def die(msg):
    raise SystemExit("exec_cost: " + msg)


# ------------------------------------------------------------ /proc

def waiting_in_epoll(pid):
    """True when pid is blocked in epoll_pwait (a worker's accept wait)."""
    try:
        if EPOLL_PWAIT_NR is not None:
            with open("/proc/%d/syscall" % pid) as f:
                first = f.read().split(None, 1)
            return bool(first) and first[0] == str(EPOLL_PWAIT_NR)
        with open("/proc/%d/wchan" % pid) as f:
            return f.read().strip() in EPOLL_WCHAN
    except OSError:
        return False


def sched_ns(pid):
    """Time pid has spent on a CPU, in ns (schedstat's first field)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def cpu_ticks(pid, with_children=True):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return 0
    fl = st[st.rindex(")") + 2:].split()
    n = int(fl[11]) + int(fl[12])
    if with_children:
        n += int(fl[13]) + int(fl[14])
    return n


def group_cpu_s(master):
    """CPU of a master, its live children and those it reaped."""
    ticks = cpu_ticks(master) + sum(cpu_ticks(c, False)
                                    for c in children(master))
    return ticks / os.sysconf("SC_CLK_TCK")


def pss_kb(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


# ------------------------------------------------------------ builds

def git(*args):
    return subprocess.run(["git", "-C", ROOT] + list(args),
                          capture_output=True, text=True)


def build_after():
    """build/bench's argo-server and loadgen, as bench/run builds them."""
    r = subprocess.run(["make", "-s", "-C", ROOT, "B=build/bench",
                        "CFLAGS=-O2", "build/bench/argo-server"])
    if r.returncode:
        die("make failed")
    out = os.path.join(ROOT, "build", "bench", "loadgen")
    src = os.path.join(ROOT, "bench", "loadgen.c")
    if not os.path.exists(out) or \
            os.path.getmtime(out) < os.path.getmtime(src):
        if subprocess.run([os.environ.get("CC", "cc"), "-O2",
                           "-D_GNU_SOURCE", "-Wall", "-Wextra", "-o", out,
                           src]).returncode:
            die("cannot build loadgen")
    return os.path.join(ROOT, "build", "bench", "argo-server"), out


def build_before():
    """Builds BEFORE; (binary, commit) or (None, why not)."""
    if not BEFORE:
        return None, "BENCH_BEFORE is empty"
    if shutil.which("git") is None:
        return None, "git is not installed"
    if git("rev-parse", "--git-dir").returncode:
        return None, "%s is not a git checkout" % ROOT
    r = git("rev-parse", "--verify", "--quiet", BEFORE + "^{commit}")
    if r.returncode:
        shallow = git("rev-parse", "--is-shallow-repository").stdout.strip()
        return None, ("commit %s is not in this clone (%s)" % (
            BEFORE, "a shallow clone: git fetch --unshallow"
            if shallow == "true" else "BENCH_BEFORE=<rev> names another"))
    full = r.stdout.strip()
    stamp = os.path.join(BEFORE_DIR, ".bench-commit")
    try:
        with open(stamp) as f:
            have = f.read().strip()
    except OSError:
        have = None
    if have != full:
        log("exporting %s into %s" % (BEFORE, BEFORE_DIR))
        shutil.rmtree(BEFORE_DIR, ignore_errors=True)
        os.makedirs(BEFORE_DIR)
        arc = subprocess.Popen(["git", "-C", ROOT, "archive", full],
                               stdout=subprocess.PIPE)
        t = subprocess.run(["tar", "-x", "-C", BEFORE_DIR], stdin=arc.stdout)
        arc.stdout.close()
        if arc.wait() or t.returncode:
            return None, "git archive %s failed" % BEFORE
        with open(stamp, "w") as f:
            f.write(full + "\n")
    log("building %s (B=build/bench CFLAGS=-O2) in %s" % (BEFORE,
                                                          BEFORE_DIR))
    r = subprocess.run(["make", "-s", "-j%d" % (os.cpu_count() or 1), "-C",
                        BEFORE_DIR, "B=build/bench", "CFLAGS=-O2",
                        "build/bench/argo-server"])
    if r.returncode or not os.access(BEFORE_ARGO, os.X_OK):
        return None, "make of %s failed" % BEFORE
    return BEFORE_ARGO, full[:12]


# ------------------------------------------------------------ daemons

CFG = """\
name = "{name}"
type = "pv"
kernel = "/boot/vmlinuz-6.1.0-13-amd64"
memory = {mem}
vcpus = {vcpus}
vif = [ 'mac=00:16:3e:00:00:{i:02x},bridge=xenbr0' ]
disk = [ 'phy:/dev/vg0/{name}-disk,xvda1,w' ]
"""


def write_conf(work, tag, workers, max_clients):
    xen = os.path.join(work, "xen")
    if not os.path.isdir(xen):
        os.makedirs(xen)
        for i in range(CONFIGS):
            name = "vm%04d.bench.example" % i
            with open(os.path.join(xen, "vm%04d.cfg" % i), "w") as f:
                f.write(CFG.format(name=name, mem=512 << (i % 3),
                                   vcpus=1 + i % 4, i=i))
    path = os.path.join(work, "%s.conf" % tag)
    with open(path, "w") as f:
        f.write("[server]\nport = 0\nlisten = 127.0.0.1\nworkers = %d\n"
                "max_clients = %d\nmax_per_host = %d\nxen_dir = %s\n"
                "toolstack = /bin/true\npidfile = %s\nchroot = %s\n"
                "anonymous_read = yes\n" % (
                    workers, max_clients, max_clients, xen,
                    os.path.join(work, "%s.pid" % tag),
                    os.path.join(work, "empty")))
    os.chmod(path, 0o600)
    return path


class Daemon:
    def __init__(self, binary, conf, logpath):
        self.binary, self.conf, self.logpath = binary, conf, logpath
        self.proc = self.pid = self.port = self.broker = None

    def start(self, want_ready):
        logf = open(self.logpath, "w")
        self.proc = subprocess.Popen(
            ["timeout", "-k", "5", str(LIMIT + 60), self.binary, "-f", "-c",
             self.conf], stdin=subprocess.DEVNULL, stdout=logf, stderr=logf)
        logf.close()
        procs.append(self)
        rx = re.compile(READY_RX)
        end = time.monotonic() + 15
        while time.monotonic() < end and self.proc.poll() is None:
            with open(self.logpath, errors="replace") as f:
                m = rx.search(f.read())
            if m:
                self.pid, self.port = int(m.group(1)), int(m.group(2))
                break
            time.sleep(0.01)
        else:
            die("%s did not start: %s" % (self.binary, self.tail()))
        self.wait_ready(want_ready, set(), 10)
        return self

    def tail(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()[-1500:]

    def find_broker(self):
        if self.broker is None:
            for c in children(self.pid):
                if comm(c) == BROKER_COMM:
                    self.broker = c
        return self.broker

    def workers(self):
        b = self.find_broker()
        return [c for c in children(self.pid) if c != b]

    def wait_ready(self, n, old, timeout, poll=0.001):
        """Waits until n workers not in old are in epoll_pwait; their
        pids, or None on timeout."""
        ready = set()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for c in self.workers():
                if c not in old and c not in ready and waiting_in_epoll(c):
                    ready.add(c)
            if len(ready) >= n:
                return ready
            time.sleep(poll)
        return None

    def stop(self):
        if self.proc is None:
            return
        kids = children(self.pid) if self.pid else []
        if self.proc.poll() is None:
            try:
                os.kill(self.pid or self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for k in kids:                  # whatever of it outlived it
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self in procs:
            procs.remove(self)
        self.proc = None


def stop_all():
    while procs:
        procs[-1].stop()


def on_signal(sig, _frame):
    stop_all()
    raise SystemExit(128 + sig)


# ------------------------------------------------------------ measures

def loadgen(lg, port, clients):
    cmd = [lg, "-m", "short", "-p", str(port), "-c", str(clients), "-d",
           "1", "-r", "list available", "-e", str(CONFIGS), "-t",
           str(SECONDS), "-w", str(WARMUP)]
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=SECONDS + WARMUP + 60)
    try:
        out = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        die("loadgen: no JSON (rc %d): %s" % (r.returncode, r.stderr[-500:]))
    if out["errors"]:
        log("warning: %d errors on port %d: %s" % (
            out["errors"], port, out.get("first_error")))
    return out


def sessions(lg, daemons):
    """Short `list available` sessions, A B B A rounds."""
    out = {}
    for c in (1, 4):
        runs = {k: [] for k in daemons}
        cpu = {k: 0.0 for k in daemons}
        ops = {k: 0.0 for k in daemons}
        for rep in range(REPS):
            log("sessions, %d client%s, round %d/%d" % (
                c, "s" * (c > 1), rep + 1, REPS))
            order = sorted(daemons) if rep % 2 == 0 else \
                sorted(daemons, reverse=True)
            for k in order:
                d = daemons[k]
                c0 = group_cpu_s(d.pid)
                r = loadgen(lg, d.port, c)
                cpu[k] += group_cpu_s(d.pid) - c0
                ops[k] += r["rate"] * (r["seconds"] + r["warmup"])
                runs[k].append(r)
        res = {}
        for k in daemons:
            rates = [r["rate"] for r in runs[k]]
            res[k] = {
                "rate": round(statistics.median(rates), 1),
                "rates": rates,
                "p50_us": statistics.median(r["p50_us"] for r in runs[k]),
                "errors": sum(r["errors"] for r in runs[k]),
                "server_us_per_session": round(cpu[k] / ops[k] * 1e6, 1)
                if ops[k] else None,
                "client_us_per_session": round(
                    sum(r["client_cpu_s"] for r in runs[k]) / ops[k] * 1e6,
                    1) if ops[k] else None}
        if "before" in daemons:
            pairs = [a["rate"] / b["rate"] for a, b in
                     zip(runs["after"], runs["before"]) if b["rate"]]
            res["ratio_rounds"] = [round(x, 3) for x in pairs]
            res["ratio"] = round(statistics.median(pairs), 3)
        out["list_c%d" % c] = res
    return out


def spawn_round(d, n, poll):
    """Kills n ready workers at once; times until n new ones wait for
    their first client.  None if the pool does not come back."""
    ready = d.wait_ready(POOL, set(), 10)
    if ready is None:
        return None
    time.sleep(0.05)
    victims = sorted(ready)[:n]
    m0, b0 = sched_ns(d.pid), sched_ns(d.find_broker())
    t0 = time.perf_counter()
    for p in victims:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    new = d.wait_ready(n, ready, 10, poll)
    t1 = time.perf_counter()
    if new is None:
        return None
    m1, b1 = sched_ns(d.pid), sched_ns(d.find_broker())
    wcpu = [sched_ns(p) for p in new]
    return {"wall_ms": (t1 - t0) * 1e3,
            "master_cpu_ms": (m1 - m0) / 1e6,
            "broker_cpu_ms": (b1 - b0) / 1e6 if b0 is not None and
            b1 is not None else None,
            "worker_cpu_ms": [x / 1e6 for x in wcpu if x is not None]}


def sessions_per_worker():
    try:
        with open(os.path.join(ROOT, "src", "common", "defs.h")) as f:
            m = re.search(r"#define\s+ARGO_MAX_SESSIONS_PER_WORKER\s+(\d+)",
                          f.read())
        return int(m.group(1)) if m else None
    except OSError:
        return None


def spawn(daemons):
    rounds = {k: [] for k in daemons}
    single = {k: [] for k in daemons}
    log("spawn: %d workers killed at once and refilled, %d rounds; one "
        "worker killed and replaced, %d rounds" % (POOL, SPAWN_REPS,
                                                   SINGLE_REPS))
    for rep in range(max(SPAWN_REPS, SINGLE_REPS)):
        order = sorted(daemons) if rep % 2 == 0 else \
            sorted(daemons, reverse=True)
        for k in order:
            for n, poll, reps, into in ((POOL, 0.001, SPAWN_REPS, rounds),
                                        (1, 0.0002, SINGLE_REPS, single)):
                if rep >= reps:
                    continue
                r = spawn_round(daemons[k], n, poll)
                if r is None:
                    die("%s: the pool of %d did not come back within 10 s:"
                        "\n%s" % (k, POOL, daemons[k].tail()))
                into[k].append(r)
    out = {"pool": POOL, "rounds": SPAWN_REPS, "single_rounds": SINGLE_REPS}
    for k, d in daemons.items():
        with open(d.logpath, errors="replace") as f:
            text = f.read()
        bad = [l for l in text.splitlines()
               if "throttling" in l or "could not be started" in l or
               "exited with status" in l]
        if bad:
            die("%s: start-up failures during the spawn rounds:\n%s"
                % (k, "\n".join(bad[:5])))
        o = out[k] = {"refill_ms": round(statistics.median(
            r["wall_ms"] for r in rounds[k]), 2)}
        for tag, rs, n in (("", rounds[k], POOL), ("single_", single[k], 1)):
            per = [r["wall_ms"] / n for r in rs]
            o[tag + "ms_per_worker"] = round(statistics.median(per), 3)
            o[tag + "ms_per_worker_rounds"] = [round(x, 3) for x in per]
            o[tag + "worker_cpu_ms"] = round(statistics.median(
                statistics.mean(r["worker_cpu_ms"]) for r in rs), 3)
            o[tag + "master_cpu_ms_per_worker"] = round(statistics.median(
                r["master_cpu_ms"] for r in rs) / n, 3)
            o[tag + "broker_cpu_ms_per_worker"] = round(statistics.median(
                r["broker_cpu_ms"] for r in rs) / n, 3) \
                if all(r["broker_cpu_ms"] is not None for r in rs) else None
    # A worker is replaced after this many sessions, one at a time: the
    # CPU of one spawn, in ms, over that many sessions is what steady
    # load pays per session.
    per = sessions_per_worker()
    out["sessions_per_worker"] = per
    for k in daemons:
        o = out[k]
        spawn_ms = o["single_worker_cpu_ms"] + \
            o["single_master_cpu_ms_per_worker"] + \
            (o["single_broker_cpu_ms_per_worker"] or 0)
        o["amortised_us_per_session"] = round(spawn_ms * 1e3 / per, 2) \
            if per else None
    if "before" in out:
        a, b = out["after"], out["before"]
        out["ratio"] = round(a["ms_per_worker"] / b["ms_per_worker"], 2)
        out["single_ratio"] = round(a["single_ms_per_worker"] /
                                    b["single_ms_per_worker"], 2)
        out["amortised_ratio"] = round(a["amortised_us_per_session"] /
                                       b["amortised_us_per_session"], 2)
    return out


def main():
    if len(sys.argv) not in (1, 3):
        print("usage: exec_cost.py [ARGO_SERVER_BIN LOADGEN_BIN]",
              file=sys.stderr)
        return 64
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    t_start = time.monotonic()
    if len(sys.argv) == 3:
        after, lg = (os.path.abspath(a) for a in sys.argv[1:])
    else:
        after, lg = build_after()
    before, why = build_before()
    R = {"before_rev": BEFORE, "seconds_per_run": SECONDS,
         "warmup_s": WARMUP, "repetitions": REPS, "workers": WORKERS,
         "configs": CONFIGS}
    if before is None:
        log("before columns skipped: " + why)
        R["skipped"] = why
    else:
        R["before_commit"] = why
    signal.alarm(LIMIT)
    work = tempfile.mkdtemp(prefix="argo-exec.")
    os.chmod(work, 0o755)
    bins = {"after": after}
    if before:
        bins["before"] = before
    try:
        d = {k: Daemon(b, write_conf(work, k, WORKERS, 64),
                       os.path.join(work, k + ".log")).start(WORKERS)
             for k, b in bins.items()}
        time.sleep(0.5)                 # let the broker's scan settle
        R["idle_pss_kb"] = {k: pss_kb([x.pid] + children(x.pid))
                            for k, x in d.items()}
        R["sessions"] = sessions(lg, d)
        for x in d.values():
            x.stop()
        d = {k: Daemon(b, write_conf(work, "spawn-" + k, POOL, 64),
                       os.path.join(work, "spawn-%s.log" % k)).start(POOL)
             for k, b in bins.items()}
        R["spawn"] = spawn(d)
    finally:
        signal.alarm(0)
        stop_all()
        if os.environ.get("BENCH_KEEP"):
            log("kept " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    R["elapsed_s"] = round(time.monotonic() - t_start, 1)
    json.dump(R, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
