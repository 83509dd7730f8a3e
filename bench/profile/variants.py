#!/usr/bin/python3
"""What each part of a session costs, measured by taking it away.

Copies src/ and the Makefile to a temporary directory, applies
bench/profile/variants.patch (compile-time switches, off by default) and
builds one argo-server per variant:

  now            the daemon as it is
  +herd          EXP_HERD: the listeners without EPOLLEXCLUSIVE, so every
                 idle worker wakes for each connection (as before)
  +notify        EXP_NOTIFY_ALWAYS: a message to the master per session
                 (as before), not only when the spares run thin
  +herd +notify  both: the pool as it was before
  -log           EXP_NOLOG: no "session start" / "session end" lines

and measures each with bench/run's own tools (same loads, same configs):
server CPU per session with client and server pinned to one CPU (stable),
unpinned 1- and 4-client session rates, and `list available` p50 at 10
and 1000 configs.  Prints medians over REPS rounds that alternate between
the variants.  Nothing here changes src/.

usage: bench/profile/variants.py [REPS [SECONDS]]     (defaults 3 and 2)
"""

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUN = os.path.join(ROOT, "bench", "run")

VARIANTS = [
    ("now", ""),
    ("+herd", "-DEXP_HERD"),
    ("+notify", "-DEXP_NOTIFY_ALWAYS"),
    ("+herd +notify", "-DEXP_HERD -DEXP_NOTIFY_ALWAYS"),
    ("-log", "-DEXP_NOLOG"),
]


def load_run():
    mod = type(sys)("bench_run")
    mod.__file__ = RUN
    with open(RUN) as f:
        exec(compile(f.read(), RUN, "exec"), mod.__dict__)
    return mod


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    secs = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    b = load_run()
    signal.signal(signal.SIGTERM, b.on_signal)
    signal.signal(signal.SIGINT, b.on_signal)
    signal.signal(signal.SIGALRM, b.on_signal)
    signal.alarm(1500)
    b.build()                       # loadgen, limit, build/bench/argo-server
    work = tempfile.mkdtemp(prefix="argo-variants.")
    try:
        tree = os.path.join(work, "tree")
        os.makedirs(tree)
        shutil.copytree(os.path.join(ROOT, "src"), os.path.join(tree, "src"))
        shutil.copy(os.path.join(ROOT, "Makefile"), tree)
        with open(os.path.join(HERE, "variants.patch")) as f:
            r = subprocess.run(["patch", "-s", "-p1", "-d", tree], stdin=f)
        if r.returncode:
            b.fail("variants.patch no longer applies to src/: refresh it")
        bins = {}
        for i, (name, flags) in enumerate(VARIANTS):
            out = "build/v%d" % i
            r = subprocess.run(["make", "-s", "-C", tree, "B=" + out,
                                "CFLAGS=-O2 " + flags, out + "/argo-server"])
            if r.returncode:
                b.fail("cannot build variant " + name)
            bins[name] = os.path.join(tree, out, "argo-server")

        b.ARGO = bins["now"]
        tool, state = os.path.join(work, "tool"), os.path.join(work, "st")
        subprocess.run(["sh", os.path.join(ROOT, "tests", "fake-xen",
                                           "install.sh"), tool, state],
                       check=True, capture_output=True)
        pw = b.password_hash()
        confs = {}
        for n in (10, 20, 1000):
            b.make_xen_dir(os.path.join(work, "xen%d" % n), n)
            confs[n] = os.path.join(work, "argo%d.conf" % n)
            b.write_conf(confs[n], os.path.join(work, "xen%d" % n),
                         os.path.join(tool, "xl"),
                         os.path.join(work, "argo%d.pid" % n), pw)

        res = {name: {} for name, _ in VARIANTS}

        def put(name, key, val):
            res[name].setdefault(key, []).append(val)

        for rep in range(reps):
            for name, _ in VARIANTS:
                b.log("variants: round %d/%d, %s" % (rep + 1, reps, name))
                b.ARGO = bins[name]
                a = b.Argo(work, confs[20], "v").start()
                cpu = lambda: b.group_cpu(a.pid)
                with b.Pinned(a.pids):
                    a.wait_idle_workers(b.WORKERS)
                    for req, exp, key in (("list available", 20, "list"),
                                          ("version", 1, "version")):
                        r = b.with_cpu(cpu, lambda: b.loadgen(
                            a.port, "short", 1, req, exp, seconds=secs,
                            cpu=0))
                        put(name, "pinned_%s_srv_us" % key,
                            r["server_us_per_op"])
                        put(name, "pinned_%s_rate" % key, r["rate"])
                for c in (1, 4):
                    for req, exp, key in (("list available", 20, "list"),
                                          ("version", 1, "version")):
                        r = b.with_cpu(cpu, lambda: b.loadgen(
                            a.port, "short", c, req, exp, seconds=secs))
                        put(name, "%s_c%d_rate" % (key, c), r["rate"])
                        put(name, "%s_c%d_srv_us" % (key, c),
                            r["server_us_per_op"])
                a.stop()
                for n in (10, 1000):
                    a = b.Argo(work, confs[n], "v%d" % n).start()
                    with b.Pinned(a.pids):
                        r = b.loadgen(a.port, "pipe", 1, "list available", n,
                                      seconds=1.5, cpu=0)
                    put(name, "list%d_p50" % n, r["p50_us"])
                    a.stop()
    finally:
        signal.alarm(0)
        b.stop_all()
        shutil.rmtree(work, ignore_errors=True)

    cols = [("pinned_version_srv_us", "pin ver\nsrv us"),
            ("pinned_list_srv_us", "pin list\nsrv us"),
            ("version_c1_rate", "ver c1\n/s"),
            ("list_c1_rate", "list c1\n/s"),
            ("version_c4_rate", "ver c4\n/s"),
            ("list_c4_rate", "list c4\n/s"),
            ("list_c4_srv_us", "list c4\nsrv us"),
            ("list10_p50", "list 10\np50 us"),
            ("list1000_p50", "list1000\np50 us")]
    print("\nmedian of %d rounds, %gs each; srv us = server CPU per session"
          % (reps, secs))
    for line in (0, 1):
        print("%-28s" % ("variant" if line == 0 else "") + "".join(
            "%10s" % c[1].split("\n")[line] for c in cols))
    for name, _ in VARIANTS:
        print("%-28s" % name + "".join(
            "%10.1f" % statistics.median(res[name][k]) for k, _ in cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
