"""Processes seen through /proc, shared by the test harnesses
(tests/e2e/conftest.py, tests/abuse/conftest.py, tests/soak/soak.py):
who is whose child, who is a zombie, and stopping a pid quietly.
Standard library only; processes are only ever named by pid."""

import os
import signal
import time


def stat_fields(pid):
    """(state, ppid) of PID, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return None
    fields = st[st.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def all_procs():
    """{pid: (state, ppid)} of every process."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            f = stat_fields(int(d))
            if f:
                out[int(d)] = f
    return out


def children_of(pid, procs=None):
    """Live (not zombie) children of PID, sorted."""
    procs = all_procs() if procs is None else procs
    return sorted(p for p, (st, pp) in procs.items()
                  if pp == pid and st not in ("Z", "X"))


def comm(pid):
    """The process's name (/proc/PID/comm), or None if it is gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


# The daemon names its processes: the master keeps the binary's name, the
# broker is "argo-broker", each worker "argo-worker".
BROKER_COMM = "argo-broker"


def workers_of(pid, procs=None):
    """The worker children of a master PID: every child but the broker."""
    return [p for p in children_of(pid, procs) if comm(p) != BROKER_COMM]


def broker_of(pid, procs=None):
    """The broker child of a master PID, or None."""
    for p in children_of(pid, procs):
        if comm(p) == BROKER_COMM:
            return p
    return None


def zombies_of(pids, procs=None):
    """Zombie children of any of PIDS."""
    procs = all_procs() if procs is None else procs
    pids = set(pids)
    return sorted(p for p, (st, pp) in procs.items()
                  if pp in pids and st == "Z")


def alive(pid):
    f = stat_fields(pid)
    return f is not None and f[0] not in ("Z", "X")


def wait_for(pred, timeout, step=0.02):
    """PRED's first true value within TIMEOUT seconds, else its last."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def kill_quietly(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except OSError:
        pass
