#!/usr/bin/python3
"""The fleet figure of `make bench`: one `argo` against many dom0s.

    python3 bench/fleet.py ARGO_SERVER_BIN ARGO_CLIENT_BIN

Starts FLEET_HOSTS (64) argo-server daemons on 127.0.0.2, 127.0.0.3, ...
(one kernel-picked port each, one worker each), then times, FLEET_REPS (5)
rounds each, median of the wall times:

  argo_fleet   argo -H hosts list running          every host at once
  argo_one     argo HOST list running              the first host alone
  argo_serial  argo -j 1 -H hosts list running     one host at a time
  nc_loop      while read h p; do printf 'list running\\nquit\\n' |
               nc -N -w 30 $h $p; done < hosts      the shell way
  argo_fleet_version  argo -H hosts version     no toolstack run at all

twice: with the simulated toolstack (tests/fake-xen, a Python program, as
the rest of make bench) and with a static `xl` written in C (prints a
fixed `xl list`), where what remains is the client and the daemons.
Every reply is checked (exit status, line count).  Prints one JSON object
on stdout (progress on stderr); the ratios are fleet/one (1.0 would be
free parallelism) and nc_loop/fleet (how much faster than the loop).
Unlike a real fleet, the 64 daemons here share this machine's CPUs:
argo_fleet.servers_cpu_s (what they spent on one run, in clock ticks, so
coarse) divided by the CPU count is the floor of argo_fleet's time.

Loopback only; every daemon is stopped by its pid (SIGTERM, then SIGKILL
for whatever of it is left, found by parent pid in /proc); the whole run
is bounded by FLEET_LIMIT seconds (300).
"""

import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTS = int(os.environ.get("FLEET_HOSTS", "64"))
REPS = int(os.environ.get("FLEET_REPS", "5"))
LIMIT = int(os.environ.get("FLEET_LIMIT", "300"))
GUESTS = ["web1", "web2", "db1"]        # running on every host
READY_S = 60

STATIC_XL = r"""
/* A toolstack that answers `list` at once, the same on every host. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "list") == 0)
		fputs("Name                                        ID   Mem VCPUs"
		    "\tState\tTime(s)\n"
		    "Domain-0                                     0  1024     2"
		    "     r-----     100.0\n"
		    "web1                                         1   512     1"
		    "     -b----      12.0\n"
		    "web2                                         2   512     1"
		    "     -b----       7.5\n"
		    "db1                                          3  1024     2"
		    "     r-----      30.1\n", stdout);
	return (0);
}
"""

procs = []              # daemons (Popen) still to stop


def log(msg):
    print("fleet: " + msg, file=sys.stderr, flush=True)


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
            except OSError:
                continue
            if int(st[st.rindex(")") + 2:].split()[1]) == pid:
                out.append(int(d))
    return out


def fleet_cpu():
    """CPU seconds so far of every daemon process (master, broker,
    workers) and the children they reaped (toolstack runs)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in procs:
        for pid in [p.pid] + children(p.pid):
            try:
                with open("/proc/%d/stat" % pid) as f:
                    st = f.read()
            except OSError:
                continue
            fl = st[st.rindex(")") + 2:].split()
            total += sum(int(x) for x in fl[11:15])
    return total / tick


def stop_all():
    """SIGTERM every master by pid, wait, SIGKILL what is left of it."""
    kids = {}
    for p in procs:
        if p.poll() is None:
            kids[p.pid] = children(p.pid)
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)
        for k in kids.get(p.pid, []):
            try:
                os.kill(k, signal.SIGKILL)
            except OSError:
                pass
    del procs[:]


def on_signal(sig, _frame):
    stop_all()
    raise SystemExit(128 + sig)


def start_fleet(work, server, tool, n):
    """n daemons on 127.0.0.2...; returns [(addr, port)]."""
    empty = os.path.join(work, "empty")
    os.makedirs(empty, exist_ok=True)
    os.chmod(empty, 0o755)
    xen = os.path.join(work, "xen")
    os.makedirs(xen, exist_ok=True)
    for g in GUESTS:
        with open(os.path.join(xen, g + ".cfg"), "w") as f:
            f.write('name = "%s"\nmemory = 512\n' % g)
    logs = []
    for i in range(n):
        addr = "127.0.0.%d" % (2 + i)
        d = os.path.join(work, "d%d" % i)
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "argo.conf")
        with open(conf, "w") as f:
            f.write("[server]\nlisten = %s\nworkers = 1\nxen_dir = %s\n"
                    "toolstack = %s\nchroot = %s\npidfile = %s\n" % (
                        addr, xen, tool, empty, os.path.join(d, "pid")))
        os.chmod(conf, 0o600)
        lf = open(os.path.join(d, "log"), "wb")
        procs.append(subprocess.Popen([server, "-f", "-c", conf, "-p", "0"],
                                      stdin=subprocess.DEVNULL, stdout=lf,
                                      stderr=lf, cwd=d))
        lf.close()
        logs.append((addr, os.path.join(d, "log")))
    hosts = []
    deadline = time.monotonic() + READY_S
    rx = re.compile(r"ready listen=\S+:(\d+)")
    for (addr, path), p in zip(logs, procs[-n:]):
        while True:
            with open(path, errors="replace") as f:
                m = rx.search(f.read())
            if m:
                hosts.append((addr, int(m.group(1))))
                break
            if p.poll() is not None or time.monotonic() > deadline:
                with open(path, errors="replace") as f:
                    raise SystemExit("fleet: daemon on %s not ready:\n%s"
                                     % (addr, f.read()[-2000:]))
            time.sleep(0.01)
    return hosts


def timed(argv, want_lines, shell=False, cpu=None):
    """Wall seconds of one run; its output must have want_lines lines.
    The run's own CPU seconds (user + system, its children included) are
    appended to cpu when given."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    r = subprocess.run(argv, shell=shell, capture_output=True, text=True,
                       timeout=120)
    took = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(ru1.ru_utime - ru0.ru_utime + ru1.ru_stime - ru0.ru_stime)
    got = len(r.stdout.splitlines())
    if r.returncode != 0 or got != want_lines:
        raise SystemExit("fleet: %s: exit %d, %d lines (want %d)\n%s" % (
            argv if not shell else "nc loop", r.returncode, got, want_lines,
            r.stderr[-2000:]))
    return took


def measure(client, hosts, work):
    hostfile = os.path.join(work, "hosts")
    with open(hostfile, "w") as f:
        f.write("".join("%s:%d\n" % h for h in hosts))
    pairs = os.path.join(work, "pairs")
    with open(pairs, "w") as f:
        f.write("".join("%s %d\n" % h for h in hosts))
    n, g = len(hosts), len(GUESTS)
    nc_lines = n * (g + 4)          # 200 OK, body, 300 DONE, 200 OK, BYE
    loop = ("while read h p; do printf 'list running\\nquit\\n' | "
            "nc -N -w 30 \"$h\" \"$p\"; done < '%s'" % pairs)
    runs = {"argo_fleet": [], "argo_one": [], "argo_serial": [],
            "nc_loop": [], "argo_fleet_version": []}
    cpu = {k: [] for k in runs}
    server_cpu = []
    # Rounds alternate between the four, so drift hits them alike.
    for _ in range(REPS):
        c0 = fleet_cpu()
        runs["argo_fleet"].append(timed(
            [client, "-H", hostfile, "list", "running"], n * g,
            cpu=cpu["argo_fleet"]))
        server_cpu.append(fleet_cpu() - c0)
        runs["argo_one"].append(timed(
            [client, "%s:%d" % hosts[0], "list", "running"], g,
            cpu=cpu["argo_one"]))
        runs["argo_serial"].append(timed(
            [client, "-j", "1", "-H", hostfile, "list", "running"], n * g,
            cpu=cpu["argo_serial"]))
        runs["nc_loop"].append(timed(loop, nc_lines, shell=True,
                                     cpu=cpu["nc_loop"]))
        # No toolstack at all: the client, the protocol, the daemons.
        runs["argo_fleet_version"].append(timed(
            [client, "-H", hostfile, "version"], n,
            cpu=cpu["argo_fleet_version"]))
    # client_cpu_s: the client side's own CPU (argo; sh and 64 nc, printf).
    out = {k: {"median_s": round(statistics.median(v), 4),
               "min_s": round(min(v), 4),
               "client_cpu_s": round(statistics.median(cpu[k]), 4),
               "runs_s": [round(x, 4) for x in v]} for k, v in runs.items()}
    # What the 64 daemons spent on one fleet run: on this machine's CPUs
    # the run cannot be faster than this divided by their number.
    out["argo_fleet"]["servers_cpu_s"] = round(statistics.median(server_cpu),
                                               4)
    fl = out["argo_fleet"]["median_s"]
    out["ratio_fleet_vs_one"] = round(fl / out["argo_one"]["median_s"], 2)
    out["ratio_nc_loop_vs_fleet"] = round(out["nc_loop"]["median_s"] / fl,
                                          2)
    out["ratio_serial_vs_fleet"] = round(out["argo_serial"]["median_s"] /
                                         fl, 2)
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: fleet.py ARGO_SERVER_BIN ARGO_CLIENT_BIN",
              file=sys.stderr)
        return 64
    server, client = (os.path.abspath(a) for a in sys.argv[1:])
    for b in (server, client):
        if not os.access(b, os.X_OK):
            raise SystemExit("fleet: %s: not executable" % b)
    if shutil.which("nc") is None:
        raise SystemExit("fleet: nc (netcat-openbsd) is missing")
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGALRM, on_signal)
    signal.alarm(LIMIT)
    work = tempfile.mkdtemp(prefix="argo-fleet.")
    R = {"hosts": HOSTS, "repetitions": REPS, "guests_per_host": len(GUESTS),
         "cpus": os.cpu_count(), "kernel": platform.release(),
         "command": "list running", "toolstacks": {}}
    try:
        # The simulated toolstack, its guests started once (shared state).
        tool = os.path.join(work, "tool")
        state = os.path.join(work, "state")
        r = subprocess.run(["sh", os.path.join(ROOT, "tests", "fake-xen",
                                               "install.sh"), tool, state],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("fleet: fake-xen install: " + r.stderr)
        static = os.path.join(work, "static-xl")
        src = static + ".c"
        with open(src, "w") as f:
            f.write(STATIC_XL)
        if subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", static,
                           src]).returncode:
            raise SystemExit("fleet: cannot build the static xl")
        for name, xl in (("fake-xen", os.path.join(tool, "xl")),
                         ("static", static)):
            d = os.path.join(work, name)
            os.makedirs(d)
            log("%d daemons, toolstack %s" % (HOSTS, name))
            hosts = start_fleet(d, server, xl, HOSTS)
            if name == "fake-xen":
                env = dict(os.environ, ARGO_E2E_DIRECT="1")
                for g in GUESTS:
                    subprocess.run([xl, "create", os.path.join(
                        d, "xen", g + ".cfg")], env=env, check=True,
                        capture_output=True)
            log("measuring, %d rounds" % REPS)
            R["toolstacks"][name] = measure(client, hosts, d)
            stop_all()
    finally:
        signal.alarm(0)
        stop_all()
        shutil.rmtree(work, ignore_errors=True)
    json.dump(R, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
