#!/usr/bin/python3
"""Soak test for argo-server: SOAK_SECONDS of mixed load against the real
daemon, watching the RSS and descriptor counts of the master, the broker
and the workers, and the broker's children.

Standard library only, loopback only.  `make soak` runs it; it is not part
of `make check`.

    ARGO_BIN=build/plain/argo-server SOAK_SECONDS=60 /usr/bin/python3 \
        tests/soak/soak.py

What it does:

- Starts `$ARGO_BIN -f -c CONF -p 0` in a temp directory: 127.0.0.1 only,
  three accounts (admin, a read-only one, one restricted to two
  instances) with yescrypt hashes from `argo-server -H`, the simulated
  toolstack (tests/fake-xen/install.sh) as `toolstack`, and a xen_dir with
  a handful of instances.  The instance names resolve without any DNS
  traffic (localhost and numeric loopback addresses), so `ip` and `status`
  stay on the machine.  The port is read from the `ready` line.
- SOAK_CLIENTS threads (default 3) run sessions back to back until the
  deadline: anonymous or authenticated (sometimes after a wrong password),
  each a random mix of help, version, whoami, list available/running,
  status, ip, info, start/boot/create/pause/unpause/shutdown/reboot/
  destroy, mem-set and vcpu-set (good values on a running instance, and
  bad numbers: abc, -1, 0x10, 99999999), now and then a short console
  session, unknown commands, usage errors, over-long and control-byte
  lines, blank lines, CRLF, pipelined requests; ended by quit/exit or by
  just closing.
  One more "rapid" thread runs short anonymous sessions (version, whoami,
  list available, help) to push the workers' session counts up.  Every
  reply must be `200 OK`, body, `300 DONE` (or `300 BYE`), or a single
  `400` line, with the content the contract gives where it is
  deterministic (version, whoami, list available, help, status keys, ip
  addresses, info's keys and numbers, which 400 a given error gets: a bad
  number gets `400 USAGE: mem-set NAME MIB` / `400 USAGE: vcpu-set NAME
  N`).  Every socket op has a timeout.
- A console session: `console NAME` on an instance `list running` shows,
  `200 OK console end=TOKEN`, the guest's banner up to `NAME login: `, a
  few bytes and their echo, Ctrl-] (0x1d) alone, CR LF `300 DONE TOKEN`
  LF, then `whoami` on the
  same session.  `400 NOT RUNNING` and `400 CONSOLE BUSY` are answers too
  (another client stopped the guest, or holds its console), and so is
  the console's own end (CR LF 300 DONE before the banner or the echo:
  another client destroyed or rebooted the guest).  A paused guest prints
  nothing: when no output comes for CON_PEEK s the test asks for the
  instance's state on a connection of its own and detaches if it is
  paused.  If the console ended by itself just as our bytes or our
  Ctrl-] went, they reach command mode and the `whoami` behind them gets
  `400 BAD REQUEST`: accepted only if the domain's id changed meanwhile.
- Every 2 s or so it rewrites one .cfg file (the workers' instance cache
  must notice), and at 30% and 55% of the run it sends SIGHUP (the master
  reloads its configuration and replaces every worker).  The last 45% has
  no reload, so the workers of the tail live long.
- Every SOAK_SECONDS/30 s (0.5 to 5 s) it samples the master, the broker
  (broker_of(): the child named argo-broker) and every worker
  (workers_of(): every other child): RSS and anonymous RSS from one pass
  over /proc/PID/smaps, open descriptors from /proc/PID/fd, and the
  broker's live and zombie children; sessions per worker pid come from the
  log's `session start` lines.

Anonymous RSS (heap, stack, private copies) is what a leak grows; it
leaves out library code pages a process faults in the first time it takes
a code path, yescrypt's 16 MiB scratch mapping, alive only during an
`auth`, which in raw RSS makes any sample that catches an auth look like
a 16 MiB leak (see the w_rss_mx column), and the daemon's static storage
(.data, .bss: fixed in size, but the first console a worker relays
touches 128 KiB of buffers there).

How growth is judged (after a warm-up: the first 20% of the samples, at
least one).  For a series S (one value per sample): B = max of S over the
warm-up, F = min of S over the last quarter of the samples.  A steady trend
puts every late sample above every early one, so F - B grows with it; a
transient (a worker caught with a client socket and toolstack pipes open,
a malloc high-water mark) is one sample and does not move the minimum.
Measured noise on an idle-to-busy daemon: master RSS moves by one page
(its first reload), worker anonymous RSS by 1-3 pages once warm.  Checks:

  master RSS      F - B <= 16 KiB (4 pages).  The master only forks, reaps
                  and reloads; its memory is flat to the page.
  master fds      F - B <= 0.  It holds a fixed set.
  broker anon     F - B <= 128 KiB, on anonymous RSS, not raw RSS: the
                  broker first runs the configuration parser (libinih,
                  more of libc) at the first reload, at 30% of the run,
                  after the warm-up by design, which adds 100-200 KiB of
                  code pages to raw RSS (measured: +124..+208 KiB, with a
                  flat heap; the b_rss column shows it).  Its heap is not
                  flat to the page either: each job in flight holds a
                  64 KiB reply buffer (up to 3-4 at once here) that malloc
                  places at offsets that drift as configurations and
                  instance scans come and go, and a free writes at both
                  ends of the chunk, so pages of the heap's free space are
                  touched for the first time one by one until it settles
                  (measured: +8..+52 KiB over 20-150 s runs, flat after
                  ~30 s; the bound is what 2 such buffers could reach,
                  the heap itself is ~660 KiB).  The broker takes ~650
                  requests in a 20 s run, so a leak of ~200 bytes a
                  request (more of them in a longer run) crosses it.
  broker fds      its fds minus the workers alive at the sample (one
                  channel each); F - B <= 0.  A job holds a pipe for
                  ~50 ms, a worker's channel goes with the worker: what
                  is left is a fixed set, and a descriptor leaked per
                  job, console or reload raises its floor.
  broker zombies  a zombie child of the broker (a request's child, a
                  console) seen in two consecutive samples: failure (the
                  broker reaps on SIGCHLD, at once); and once the load
                  has stopped the broker has no child left within 5 s.
  worker fds max  per sample the max over workers; F - B <= 0.
  worker fds min  per sample the min over workers (an idle worker: there
                  are always `workers` of them); F - B <= 0.  A descriptor
                  leaked per session, per toolstack run or per reload
                  shows in every late sample of one or the other.
  worker life fds each worker sampled at least 4 times: the min of its fd
                  counts over the second half of its samples minus the
                  min over the first half <= 1 (a client socket may be
                  open at every late sample; toolstack pipes, ~50 ms per
                  run, will not be).  A worker leaking a descriptor now
                  and then keeps it at its quietest moment.
  worker anon     per sample the max over workers; F - B <= 64 KiB.
  worker life     each worker sampled at least twice after it had served
                  WARM_SESSIONS sessions: anonymous RSS at its last sample
                  minus at the first such sample <= 96 KiB.  A worker's
                  first toolstack runs and auths raise its heap's
                  high-water mark by up to ~40 KiB (output buffers of up to
                  64 KiB per stream); that is not a leak.
  Workers are replaced after ARGO_MAX_SESSIONS_PER_WORKER (1000) sessions
  or a reload, which bounds what a per-session leak can add to one
  process; the two worker checks follow single processes over a few
  hundred sessions, where a leak of ~300 bytes per session (or more)
  crosses the tolerance.

Also: no malformed reply, no client error (timeout, unexpected close),
every command was sent, a console attached, echoed and detached at least
once and mem-set and vcpu-set each answered 200 at least once, the
toolstack's calls.log has no mem-set or vcpu-set with a number but the
good ones sent, one broker pid all along, the daemon stops with status 0
on SIGTERM and no worker outlives it, and the log has no sanitizer
report, no worker killed by a signal, and no password.  The output ends
with `N passed, N failed`; exit status 1 if any check failed.  The whole
run is bounded by SOAK_SECONDS + HARD_MARGIN seconds (SIGALRM kills the
daemon by pid and cleans up).

Environment: ARGO_BIN (default build/plain/argo-server), SOAK_SECONDS (60),
SOAK_CLIENTS (3), SOAK_KEEP=1 keeps the temp directory.  An ARGO_BIN whose
path names asan gets ASAN_OPTIONS=quarantine_size_mb=0 unless ASAN_OPTIONS
is set (the quarantine makes RSS climb with every free); even so ASan's
allocator maps new regions as the master's reloads first use size classes
(about +100 KiB in 20 s), so for an ASan build the raw RSS figures are
informational (printed, not judged); its heap lives in big mappings the
anonymous figures leave out, so those are flat (LeakSanitizer reports
leaks at exit, in the log).
"""

import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from argoclient import Closed, LineClient, ProtocolError  # noqa: E402
from procs import (alive, all_procs, broker_of, children_of,  # noqa: E402
                   kill_quietly, wait_for, workers_of, zombies_of)

REPO = Path(__file__).resolve().parents[2]
ARGO_BIN = os.environ.get("ARGO_BIN") or str(REPO / "build/plain/argo-server")
EXE = os.path.realpath(ARGO_BIN)     # as /proc/PID/smaps names it
# and the workers' own program, beside it (DESIGN.md 5.2)
EXES = (EXE, os.path.join(os.path.dirname(EXE), "argo-worker"))
SECONDS = float(os.environ.get("SOAK_SECONDS") or 60)
NCLIENTS = int(os.environ.get("SOAK_CLIENTS") or 3)
RAPID_PAUSE = 0.01     # between the rapid client's sessions
KEEP = os.environ.get("SOAK_KEEP") == "1"
ASAN = "asan" in ARGO_BIN
SLOW = 2.0 if ASAN else 1.0
IO_TIMEOUT = 10.0 * SLOW        # one reply; toolstack runs are ~50 ms
READY_TIMEOUT = 15.0 * SLOW
STOP_TIMEOUT = 20.0 * SLOW      # the daemon's own grace is 10 s
HARD_MARGIN = 60 + int(40 * SLOW)
FAKE_INSTALL = REPO / "tests/fake-xen/install.sh"
VERSION_RE = re.compile(r"^argo-server \d+\.\d+\.\d+\S*$")

WARMUP_FRACTION = 0.20
TAIL_FRACTION = 0.25
MASTER_RSS_TOL = 16 * 1024
MASTER_FD_TOL = 0
# Anonymous RSS; raw RSS is no measure for the broker (the docstring's
# "broker anon": its first reload faults in 100-200 KiB of library code,
# and its heap's free space is touched page by page by drifting 64 KiB
# job buffers, +8..+52 KiB measured).
BROKER_ANON_TOL = 128 * 1024
BROKER_FD_TOL = 0
WORKER_FD_TOL = 0
WORKER_RSS_TOL = 64 * 1024
WORKER_LIFE_TOL = 96 * 1024
WARM_SESSIONS = 20
# Judged on idle samples only (no session socket open): none more, since
# a worker holds no inotify instance of its own (issue 17: the change
# signal of xen_dir is an epoll it inherits at fork).
WORKER_LIFE_FD_TOL = 0
MAX_SESSIONS_PER_WORKER = 1000   # ARGO_MAX_SESSIONS_PER_WORKER, src/defs.h
BIG_ANON = 4 * 1024 * 1024

PASSWORDS = {
    "admin": "Soak-adm1n-pw-Q7z-secret",
    "ro": "Soak-r3ad-pw-K2x-secret",
    "lim": "Soak-l1m-pw-P9v-secret",
}
WRONG = "Soak-wr0ng-pw-Z4m-secret"
SECRETS = list(PASSWORDS.values()) + [WRONG]

# Instance name -> (file, memory).  Names resolve locally (no DNS).
INSTANCES = {
    "localhost": ("lh.cfg", 64),
    "127.0.0.2": ("two.cfg", 128),
    "127.0.0.3": ("three.cfg", 256),
    "127.0.0.4": ("four.cfg", 512),
    "::1": ("six.cfg", 96),
}
LIMITED = ["127.0.0.2", "localhost"]     # what `lim` may see
EXTRA_FILES = {
    "noname.cfg": "memory = 64\n",        # skipped, logged
    "notes.txt": 'name = "ignored"\n',   # not *.cfg
}
CONTROL = ["start", "boot", "create", "pause", "unpause", "shutdown",
           "reboot", "destroy"]
STATES = ("running", "blocked", "paused", "shutdown", "crashed", "dying")
RUNNING_RE = re.compile(r"^(\S+) id=\d+ mem=\d+ vcpus=\d+ state=(%s) "
                        r"cpu=\d+(\.\d+)?$" % "|".join(STATES))
STATUS_KEYS = ["name", "config", "state", "id", "mem", "vcpus", "ip"]
INFO_KEYS = ["host", "release", "xen_version", "nr_cpus", "total_memory",
             "free_memory", "instances_running"]
INFO_NUMERIC = ("nr_cpus", "total_memory", "free_memory", "instances_running")
# `help`: one line per command, "%-20s %s" (usage, description).
HELP_USAGES = ["help", "version", "auth USER PASSWORD", "whoami",
               "list available", "list running", "status NAME", "ip NAME",
               "start NAME", "shutdown NAME", "reboot NAME", "destroy NAME",
               "pause NAME", "unpause NAME", "info", "console NAME",
               "mem-set NAME MIB", "vcpu-set NAME N", "watch", "exit"]
# mem-set / vcpu-set.  Good values: every instance's file has memory >= 64
# (so maxmem >= 64 and 16..64 MiB is always a target the toolstack takes)
# and vcpus >= 1; 2 vCPUs is more than some instances' maximum, which the
# toolstack refuses (TOOLSTACK FAILED, its answer, not the daemon's).  Bad
# numbers never reach the toolstack (checked in calls.log at the end).
MEM_GOOD = list(range(16, 65))
VCPU_GOOD = [1, 1, 1, 2]
BAD_NUMBERS = ["abc", "-1", "0x10", "99999999"]
SETTERS = {"mem-set": "USAGE: mem-set NAME MIB",
           "vcpu-set": "USAGE: vcpu-set NAME N"}
# console NAME: the guest's banner ends in "NAME login: "; Ctrl-] alone
# detaches; then CR LF and 300 DONE with the token of the 200 line, back
# in command mode.
CON_ESC = b"\x1d"
CON_LOGIN = b"login: "
CON_OK = re.compile(r"^200 OK console end=([0-9a-f]{32})$")
CON_PEEK = 1.0 * SLOW   # no guest output for that long: look at its state
BAD_LOG = ("AddressSanitizer", "LeakSanitizer", "runtime error",
           "Assertion", "Segmentation fault")
LOG_LINE = re.compile(r"^argo-(?:server|worker)\[(\d+)\]: (.*)$")
READY = re.compile(r"^argo-server\[\d+\]: ready listen=127\.0\.0\.1:(\d+) ",
                   re.M)


def out(msg=""):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------ /proc

def sockets_of(pid):
    """The socket inodes among PID's descriptors."""
    out = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in fds:
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.startswith("socket:"):
            out.add(t)
    return out


def rss_fds(pid):
    """(RSS, anonymous RSS, open descriptors) of PID, or None if it is
    gone.

    Both figures come from one pass over /proc/PID/smaps: RSS is the sum of
    the mappings' Rss (VmRSS); anonymous RSS the sum of their Anonymous
    pages (heap, stack, private copies: RssAnon), which is where a leak
    lives, without the library code pages a worker faults in the first
    time it takes a code path.  Anonymous mappings of BIG_ANON or more are
    left out of it: yescrypt's scratch area (about 16 MiB, mapped for one
    `auth` and unmapped after it) would make a sample that catches an auth
    in flight look like a 16 MiB leak.  So is the daemon's static storage
    (its binary's .data and the .bss mapping right after it): fixed in size
    at link time, so it cannot leak, but some 600 KiB of it are buffers
    first touched by one command (the console relay's 128 KiB, `info`'s
    64 KiB...), which would make a worker's first console look like a
    128 KiB leak."""
    rss = anon_rss = 0
    try:
        with open("/proc/%d/smaps" % pid) as f:
            skip = False
            exe_end = None      # where the binary's last mapping ends
            for ln in f:
                head = ln.split(None, 6)
                if not head:
                    continue
                if "-" in head[0] and len(head) >= 5:     # a mapping
                    lo, hi = (int(x, 16) for x in head[0].split("-"))
                    name = head[5].strip() if len(head) >= 6 else ""
                    if name in EXES:
                        skip, exe_end = True, hi
                    else:
                        skip = name == "" and (hi - lo >= BIG_ANON or
                                               lo == exe_end)
                elif head[0] == "Rss:":
                    rss += int(head[1]) * 1024
                elif head[0] == "Anonymous:" and not skip:
                    anon_rss += int(head[1]) * 1024
        nfd = len(os.listdir("/proc/%d/fd" % pid))
    except (OSError, ValueError, IndexError):
        return None
    if rss == 0:
        return None
    return rss, anon_rss, nfd


# ------------------------------------------------------------------ client

class Client(LineClient):
    """One session (tests/lib/argoclient.py): every reply read within
    IO_TIMEOUT, a malformed one raises ProtocolError."""

    default_timeout = IO_TIMEOUT
    error = ProtocolError
    max_body = 10000

    def __init__(self, port):
        super().__init__(port)

    def send(self, data):
        self.sock.settimeout(self.timeout)
        super().send(data)

    def wait_eof(self):
        data = self.read_all()
        if data:
            raise ProtocolError("bytes after close: %r" % data[:100])


# ------------------------------------------------------------------ load

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.replies = {}        # kind -> count
        self.commands = {}       # first word -> count
        self.sessions = 0
        self.errors = []         # (time, text)
        self.nerrors = 0
        self.outcomes = {}       # "console attached", "mem-set 200", ...

    def outcome(self, what):
        with self.lock:
            self.outcomes[what] = self.outcomes.get(what, 0) + 1

    def reply(self, reply):
        kind = reply[0].split(":")[0] if reply[0].startswith("400") \
            else reply[-1]
        with self.lock:
            self.replies[kind] = self.replies.get(kind, 0) + 1

    def command(self, text):
        word = text.split()[0].lower() if text.split() else "-"
        if len(text) > 1024:
            word = "(long line)"
        elif not all(ch.isalpha() or ch == "-" for ch in word):
            word = "(control bytes)"
        with self.lock:
            self.commands[word] = self.commands.get(word, 0) + 1

    def error(self, text):
        with self.lock:
            self.nerrors += 1
            if len(self.errors) < 20:
                self.errors.append(text)

    def total(self):
        with self.lock:
            return sum(self.replies.values())


def expect(cond, what, reply):
    if not cond:
        raise ProtocolError("%s: %r" % (what, reply[:8]))


def visible(user):
    return sorted(LIMITED) if user == "lim" else sorted(INSTANCES)


def check_body(reply, what):
    expect(reply[0] == "200 OK" and reply[-1] == "300 DONE", what, reply)
    return reply[1:-1]


class Session:
    """One client session with a random mix of requests."""

    def __init__(self, port, stats, rng):
        self.stats = stats
        self.rng = rng
        self.port = port
        self.c = Client(port)
        self.user = None
        self.con_out = b""

    def req(self, text, end="\n"):
        self.stats.command(text)
        self.c.send(text + end)
        r = self.c.reply()
        self.stats.reply(r)
        return r

    def err(self, reply, reason, what):
        expect(reply == ["400 " + reason], what + " -> 400 " + reason, reply)

    # -- commands
    def auth(self, user, good=True):
        pw = PASSWORDS[user] if good else WRONG
        r = self.req("auth %s %s" % (user, pw))
        if good:
            expect(r == ["200 OK", "300 DONE"], "auth " + user, r)
            self.user = user
        else:
            self.err(r, "AUTHENTICATION FAILED", "bad auth")

    def read_allowed(self):
        return True        # anonymous_read = yes (the default)

    def name_for(self):
        """An instance name; sometimes one this session may not see."""
        if self.rng.random() < 0.1:
            return self.rng.choice(["nosuch", "Domain-0", "LOCALHOST"]), False
        n = self.rng.choice(sorted(INSTANCES))
        return n, n in visible(self.user)

    def do_help(self):
        b = check_body(self.req(self.rng.choice(["help", "HELP"])), "help")
        expect([ln[:20].rstrip() for ln in b] == HELP_USAGES and
               all(len(ln) > 21 and ln[20] == " " for ln in b),
               "help body", b)

    def do_version(self):
        b = check_body(self.req("version"), "version")
        expect(len(b) == 1 and VERSION_RE.match(b[0]), "version body", b)

    def do_whoami(self):
        b = check_body(self.req("whoami"), "whoami")
        expect(b == [self.user or "anonymous"], "whoami", b)

    def do_available(self):
        b = check_body(self.req(self.rng.choice(
            ["list available", "LIST Available", "list\tavailable  "])),
            "list available")
        expect(b == sorted(visible(self.user)), "list available", b)

    def do_running(self):
        r = self.req("list running")
        if r[0].startswith("400 TOOLSTACK"):
            return
        for ln in check_body(r, "list running"):
            m = RUNNING_RE.match(ln)
            expect(m and m.group(1) in visible(self.user),
                   "list running line", [ln])

    def do_status(self):
        name, ok = self.name_for()
        r = self.req("status " + name)
        if not ok:
            return self.err(r, "NO SUCH INSTANCE", "status " + name)
        if r[0].startswith("400 TOOLSTACK"):
            return
        b = check_body(r, "status")
        keys = [ln.split(":", 1)[0] for ln in b]
        expect(keys == STATUS_KEYS, "status keys", b)
        expect(b[0] == "name: " + name, "status name", b)
        state = b[2].split(": ", 1)[1]
        expect(state in STATES + ("stopped",), "status state", b)

    def do_ip(self):
        name, ok = self.name_for()
        r = self.req("ip " + name)
        if not ok:
            return self.err(r, "NO SUCH INSTANCE", "ip " + name)
        b = check_body(r, "ip")
        for a in b:
            try:
                expect(ipaddress.ip_address(a).is_loopback, "ip loopback", b)
            except ValueError:
                expect(False, "ip address", b)
        if name != "localhost":
            expect(b == [name], "ip of a numeric name", b)

    def do_control(self):
        verb = self.rng.choice(CONTROL)
        name, ok = self.name_for()
        r = self.req("%s %s" % (verb, name))
        if self.user is None:
            return self.err(r, "NOT AUTHENTICATED", verb)
        if self.user == "ro":
            return self.err(r, "PERMISSION DENIED", verb)
        if not ok:
            return self.err(r, "NO SUCH INSTANCE", verb + " " + name)
        if r[0].startswith("400 "):
            # Concurrent clients race over the same domains: "already
            # running", "not found"... are the toolstack's answers.
            expect(r[0].startswith("400 TOOLSTACK FAILED: "),
                   "control failure", r)
        else:
            check_body(r, verb)

    def may_control(self):
        return self.user in ("admin", "lim")

    def refused(self, r, verb, name, ok):
        """Check the replies a control command gets before anything runs
        (not logged in, a read-only account, an instance the account does
        not see); True if R had to be one of them."""
        if self.user is None:
            self.err(r, "NOT AUTHENTICATED", verb)
        elif self.user == "ro":
            self.err(r, "PERMISSION DENIED", verb)
        elif not ok:
            self.err(r, "NO SUCH INSTANCE", verb + " " + name)
        else:
            return False
        return True

    def running_name(self):
        """(name, visible): mostly a running instance of this session's
        (from `list running`), else name_for()'s pick."""
        if not self.may_control() or self.rng.random() < 0.1:
            return self.name_for()
        r = self.req("list running")
        names = []
        if not r[0].startswith("400 TOOLSTACK"):
            for ln in check_body(r, "list running"):
                m = RUNNING_RE.match(ln)
                expect(m and m.group(1) in visible(self.user),
                       "list running line", [ln])
                if m.group(2) != "paused" or self.rng.random() < 0.2:
                    names.append(m.group(1))
        if names:
            return self.rng.choice(names), True
        return self.name_for()

    def do_info(self):
        r = self.req(self.rng.choice(["info", "INFO", "info  "]))
        b = check_body(r, "info")
        expect([ln.split(": ", 1)[0] for ln in b] == INFO_KEYS and
               all(": " in ln for ln in b), "info keys", b)
        v = dict(ln.split(": ", 1) for ln in b)
        expect(all(v[k].isdigit() for k in INFO_NUMERIC), "info numbers", b)
        expect(all(v[k].strip() for k in ("host", "release", "xen_version")),
               "info text values", b)
        # only what the account sees is counted
        expect(int(v["instances_running"]) <= len(visible(self.user)),
               "info instances_running", b)

    def do_setter(self):
        """mem-set / vcpu-set: a good value on a (mostly) running instance,
        or a bad number, which gets USAGE and never reaches the toolstack."""
        verb = self.rng.choice(sorted(SETTERS))
        name, ok = self.running_name()
        bad = self.rng.random() < 0.4
        if bad:
            val = self.rng.choice(BAD_NUMBERS)
        else:
            val = str(self.rng.choice(MEM_GOOD if verb == "mem-set"
                                      else VCPU_GOOD))
        r = self.req("%s %s %s" % (verb, name, val))
        if self.refused(r, verb, name, ok):
            return
        if bad:
            return self.err(r, SETTERS[verb], "%s %s %s" % (verb, name, val))
        if r[0].startswith("400 "):
            # The instance stopped meanwhile, or more vCPUs than it may
            # have: the toolstack's answer.
            expect(r[0].startswith("400 TOOLSTACK FAILED: "),
                   verb + " failure", r)
            self.stats.outcome(verb + " toolstack failed")
        else:
            expect(r == ["200 OK", "300 DONE"], verb, r)   # xl is silent
            self.stats.outcome(verb + " 200")

    def status_id(self, name):
        """The domain id `status NAME` shows now ("-" when stopped)."""
        r = self.req("status " + name)
        if r[0].startswith("400 TOOLSTACK"):
            return None
        b = check_body(r, "status")
        expect([ln.split(":", 1)[0] for ln in b] == STATUS_KEYS,
               "status keys", b)
        return b[3].split(": ", 1)[1]

    def peek_state(self, name):
        """The instance's state, asked on a connection of its own."""
        with Client(self.port) as c:
            r = c.cmd("status " + name)
            if r[0].startswith("400 TOOLSTACK"):
                return None
            return check_body(r, "status (peek)")[2].split(": ", 1)[1]

    def con_wait(self, name, needle):
        """Console output up to and including NEEDLE: "found".  Or the
        console's own end (CR LF 300 DONE: its guest went away), with the
        session back in command mode: "ended".  Or nothing while the guest
        is paused (it prints nothing then; the state is looked at every
        CON_PEEK s without output): "quiet".  Anything else within
        IO_TIMEOUT is an error."""
        c = self.c
        deadline = time.monotonic() + IO_TIMEOUT
        while True:
            i = c.buf.find(needle)
            j = c.buf.find(self.con_done)
            if j != -1 and (i == -1 or j < i):
                c.buf = c.buf[j + len(self.con_done):]
                return "ended"
            if i != -1:
                self.con_out = c.buf[:i + len(needle)]
                c.buf = c.buf[i + len(needle):]
                return "found"
            if c.eof:
                raise Closed("console: closed waiting for %r; got %r" %
                             (needle, c.buf[-200:]))
            now = time.monotonic()
            if now >= deadline:
                raise ProtocolError("console: no %r within %g s; got %r" % (
                    needle, IO_TIMEOUT, c.buf[-200:]))
            try:
                c._fill(min(deadline, now + CON_PEEK))
            except socket.timeout:
                if time.monotonic() < deadline and \
                        self.peek_state(name) == "paused":
                    return "quiet"

    def do_console(self):
        """console NAME: 200 OK, the guest's banner up to "login: ", a few
        bytes and their echo, Ctrl-] alone, CR LF 300 DONE, and the session
        takes commands again.  NOT RUNNING and CONSOLE BUSY (another session
        is attached) are answers too; so is the console's own end when
        another session stops the guest meanwhile."""
        name, ok = self.running_name()
        if not self.may_control() or not ok:
            self.refused(self.req("console " + name), "console", name, ok)
            return
        # The domain's id now, to tell afterwards whether it went away.
        before = self.status_id(name)
        self.stats.command("console " + name)
        self.c.send("console %s\n" % name)
        first = self.c.line()
        if first in ("400 NOT RUNNING", "400 CONSOLE BUSY"):
            self.stats.reply([first])
            self.stats.outcome("console " + first[4:].lower())
            return
        m = CON_OK.match(first)
        expect(m is not None, "console", [first])
        self.con_done = b"\r\n300 DONE " + m.group(1).encode() + b"\n"
        # stray: we sent bytes that may have come after the console's own
        # end, into command mode (a line with a control byte: BAD REQUEST)
        stray = False
        how = self.con_wait(name, CON_LOGIN)
        if how == "found":
            expect(self.con_out.endswith(name.encode() + b" " + CON_LOGIN),
                   "console banner", [self.con_out[-200:]])
            token = b"soak%05d" % self.rng.randrange(100000)
            self.c.send(token + b"\r")
            how = self.con_wait(name, token)
            stray = how == "ended"
            if how == "found":
                how = "attached"
        if how != "ended":
            stray = True
            self.c.send(CON_ESC)     # alone, in a segment of its own
            deadline = time.monotonic() + IO_TIMEOUT
            while self.con_done not in self.c.buf:
                if self.c.eof or not self.c._fill(deadline):
                    raise Closed("console: closed before 300 DONE; got %r"
                                 % self.c.buf[-200:])
            self.c.buf = self.c.buf[self.c.buf.index(self.con_done) +
                                    len(self.con_done):]
        self.stats.reply(["200 OK", "300 DONE"])
        self.stats.outcome("console " + how)
        # Command mode again, on the same session.
        r = self.req("whoami")
        if r == ["400 BAD REQUEST"] and stray:
            # What we typed, or our Ctrl-], reached command mode: only
            # right if the console had just ended by itself (its domain
            # went away: stopped, or another id).
            after = self.status_id(name)
            expect(after != before or before is None or after is None,
                   "console: input after the console reached command "
                   "mode, domain %s still id %s" % (name, after), r)
            self.stats.outcome("console ended under our input")
            r = self.req("whoami")
        expect(r == ["200 OK", self.user, "300 DONE"], "whoami after console",
               r)

    def do_errors(self):
        k = self.rng.randrange(8)
        if k == 0:
            self.err(self.req("frobnicate now"), "UNKNOWN COMMAND", "unknown")
        elif k == 1:
            self.err(self.req("list"), "USAGE: list available|running",
                     "list")
        elif k == 2:
            self.err(self.req("list everything"),
                     "USAGE: list available|running", "list x")
        elif k == 3:
            # The word count is checked first, whoever asks.
            text, usage = self.rng.choice([
                ("status", "status NAME"), ("ip", "ip NAME"),
                ("start", "start NAME"), ("info now", "info"),
                ("console", "console NAME"),
                ("mem-set localhost", "mem-set NAME MIB"),
                ("vcpu-set localhost 1 2", "vcpu-set NAME N")])
            self.err(self.req(text), "USAGE: " + usage, text)
        elif k == 4:
            self.err(self.req("x" * self.rng.randrange(1025, 5000)),
                     "LINE TOO LONG", "long line")
        elif k == 5:
            self.err(self.req("status\x01 localhost"), "BAD REQUEST",
                     "control byte")
        elif k == 6:
            # Blank lines get no reply; CRLF is a line end too.
            self.c.send("\n \t \r\n")
            b = check_body(self.req("whoami", end="\r\n"), "whoami crlf")
            expect(b == [self.user or "anonymous"], "whoami crlf", b)
        else:
            # Pipelined: replies in request order.
            self.stats.command("pipelined")
            self.c.send("version\nwhoami\nbogus\n")
            for want in ("version", "whoami", "bogus"):
                r = self.c.reply()
                self.stats.reply(r)
                if want == "bogus":
                    self.err(r, "UNKNOWN COMMAND", "pipelined bogus")
                elif want == "whoami":
                    expect(check_body(r, want) == [self.user or "anonymous"],
                           "pipelined whoami", r)
                else:
                    check_body(r, want)

    def run(self, deadline):
        rng = self.rng
        try:
            p = rng.random()
            if p < 0.15:
                self.auth(rng.choice(list(PASSWORDS)), good=False)
            p = rng.random()
            if p < 0.4:
                self.auth("admin")
            elif p < 0.55:
                self.auth("ro")
            elif p < 0.7:
                self.auth("lim")
            actions = [(self.do_help, 1), (self.do_version, 1),
                       (self.do_whoami, 1), (self.do_available, 3),
                       (self.do_running, 2), (self.do_status, 3),
                       (self.do_ip, 2), (self.do_control, 3),
                       (self.do_errors, 3), (self.do_info, 1),
                       (self.do_setter, 2), (self.do_console, 1)]
            funcs = [f for f, w in actions for _ in range(w)]
            for _ in range(rng.randrange(1, 12)):
                if time.monotonic() >= deadline:
                    break
                rng.choice(funcs)()
                time.sleep(rng.random() * 0.02)
            end = rng.random()
            if end < 0.7:
                r = self.req(rng.choice(["quit", "exit", "QUIT"]))
                expect(r == ["200 OK", "300 BYE"], "quit", r)
                self.c.wait_eof()
        finally:
            self.c.close()


def client_loop(port, stats, seed, deadline):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            s = Session(port, stats, rng)
            s.run(deadline)
            with stats.lock:
                stats.sessions += 1
        except (ProtocolError, Closed, OSError) as e:
            stats.error("%.1fs %s: %s" % (time.monotonic() - START,
                                          type(e).__name__, e))
            time.sleep(0.2)


def rapid_loop(port, stats, seed, deadline):
    """Many short sessions without toolstack or auth: they drive the
    workers' session counts (and so their recycling) up cheaply."""
    rng = random.Random(seed)
    simple = [("version", None), ("whoami", ["anonymous"]),
              ("list available", sorted(INSTANCES)), ("help", None)]
    while time.monotonic() < deadline:
        try:
            c = Client(port)
            try:
                for _ in range(rng.randrange(1, 4)):
                    text, want = rng.choice(simple)
                    stats.command(text)
                    c.send(text + "\n")
                    r = c.reply()
                    stats.reply(r)
                    b = check_body(r, text)
                    expect(want is None or b == want, text, r)
                if rng.random() < 0.5:
                    stats.command("quit")
                    c.send("quit\n")
                    r = c.reply()
                    stats.reply(r)
                    expect(r == ["200 OK", "300 BYE"], "quit", r)
                    c.wait_eof()
            finally:
                c.close()
            with stats.lock:
                stats.sessions += 1
        except (ProtocolError, Closed, OSError) as e:
            stats.error("%.1fs rapid %s: %s" % (time.monotonic() - START,
                                                type(e).__name__, e))
            time.sleep(0.2)
        time.sleep(RAPID_PAUSE)


# ------------------------------------------------------------------ daemon

class Daemon:
    def __init__(self, root):
        self.root = Path(root)
        self.xen_dir = self.root / "xen"
        self.conf = self.root / "argo.conf"
        self.logfile = self.root / "daemon.log"
        self.pidfile = self.root / "argo.pid"
        self.bindir = self.root / "bin"
        self.state = self.root / "state"
        self.proc = None
        self.port = None
        self.log_fd = None
        self.log_off = 0
        self.sessions_by_pid = {}

    def setup(self):
        self.xen_dir.mkdir(parents=True)
        r = subprocess.run(["sh", str(FAKE_INSTALL), str(self.bindir),
                            str(self.state)], capture_output=True, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise RuntimeError("install.sh: " + r.stdout + r.stderr)
        for name, (fname, mem) in INSTANCES.items():
            self.write_cfg(name, mem)
        for fname, text in EXTRA_FILES.items():
            (self.xen_dir / fname).write_text(text)
        hashes = {}
        for user, pw in PASSWORDS.items():
            r = subprocess.run([ARGO_BIN, "-H"], input=pw + "\n",
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0 or not r.stdout.startswith("$"):
                raise RuntimeError("argo-server -H: " + r.stderr)
            hashes[user] = r.stdout.strip()
        text = "\n".join([
            "[server]",
            "listen = 127.0.0.1",
            "workers = 2",
            "max_clients = 32",
            "max_per_host = 16",
            "idle_timeout = 60",
            "login_timeout = 30",
            "xen_dir = %s" % self.xen_dir,
            "toolstack = %s" % (self.bindir / "xl"),
            "toolstack_timeout = 10",
            # every bad auth comes from 127.0.0.1, and good ones follow on
            # the same connections: the brake would hold them all (it has
            # tests/e2e/test_auth_limits.py)
            "auth_throttle_after = 0",
            "pidfile = %s" % self.pidfile,
            "",
            "[allow]",
            "client = 127.0.0.0/8",
            "",
            "[user admin]",
            "password = %s" % hashes["admin"],
            "",
            "[user ro]",
            "password = %s" % hashes["ro"],
            "readonly = yes",
            "",
            "[user lim]",
            "password = %s" % hashes["lim"],
            "instances = %s" % " ".join(LIMITED),
            "",
        ])
        self.conf.write_text(text)
        os.chmod(self.conf, 0o600)

    def write_cfg(self, name, mem):
        fname = INSTANCES[name][0]
        tmp = self.xen_dir / (".tmp-" + fname)
        tmp.write_text('# soak\nname = "%s"\nmemory = %d\nvcpus = %d\n' %
                       (name, mem, 1 + mem // 256))
        os.rename(tmp, self.xen_dir / fname)

    def start(self):
        self.log_fd = open(self.logfile, "ab")
        self.proc = subprocess.Popen(
            [ARGO_BIN, "-f", "-c", str(self.conf), "-p", "0"],
            stdin=subprocess.DEVNULL, stdout=self.log_fd, stderr=self.log_fd,
            cwd=str(self.root))
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            m = READY.search(self.log())
            if m:
                self.port = int(m.group(1))
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    @property
    def pid(self):
        return self.proc.pid

    def log(self):
        try:
            return self.logfile.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def count_sessions(self):
        """Sessions per worker pid, from the log so far."""
        try:
            with open(self.logfile, "rb") as f:
                f.seek(self.log_off)
                data = f.read()
        except OSError:
            return self.sessions_by_pid
        cut = data.rfind(b"\n") + 1
        self.log_off += cut
        for ln in data[:cut].decode("utf-8", "replace").splitlines():
            m = LOG_LINE.match(ln)
            if m and m.group(2).startswith("session start "):
                pid = int(m.group(1))
                self.sessions_by_pid[pid] = \
                    self.sessions_by_pid.get(pid, 0) + 1
        return self.sessions_by_pid

    def setter_calls(self):
        """(mem-set and vcpu-set runs in calls.log, the ones whose number is
        not one of the good values sent)."""
        good = {"mem-set": {"%dm" % v for v in MEM_GOOD},
                "vcpu-set": {"%d" % v for v in VCPU_GOOD}}
        n, bad = 0, []
        try:
            with open(self.state / "calls.log", encoding="utf-8",
                      errors="replace") as f:
                for ln in f:
                    try:
                        argv = json.loads(ln)["argv"]
                    except (ValueError, KeyError, TypeError):
                        bad.append("unparsable:%r" % ln[:80])
                        continue
                    if len(argv) > 1 and argv[1] in good:
                        n += 1
                        if len(argv) != 4 or argv[3] not in good[argv[1]]:
                            bad.append(" ".join(argv[1:]))
        except OSError as e:
            bad.append("calls.log: %s" % e)
        return n, bad

    def kill_all(self):
        if self.proc is None:
            return
        kids = children_of(self.pid) if self.proc.poll() is None else []
        kill_quietly(self.pid)
        for k in kids:
            kill_quietly(k)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass


# ------------------------------------------------------------------ checks

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def __call__(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            out("PASS  %s%s" % (name, "  (%s)" % detail if detail else ""))
        else:
            self.failed += 1
            out("FAIL  %s%s" % (name, "  (%s)" % detail if detail else ""))
        return ok


def kib(n):
    return "%d KiB" % (n // 1024) if n is not None else "-"


def growth(series, warm_n, tail_n):
    """(B, F, F - B): max over the warm-up, min over the tail."""
    b = max(series[:warm_n])
    f = min(series[-tail_n:])
    return b, f, f - b


START = time.monotonic()
CLEANUP = []


def hard_stop(signum, frame):
    out("FAIL  hard time bound of %d s reached; killing the daemon" %
        (SECONDS + HARD_MARGIN))
    for fn in CLEANUP:
        try:
            fn()
        except Exception:
            pass
    out("0 passed, 1 failed")
    os._exit(1)


def main():
    if ASAN and "ASAN_OPTIONS" not in os.environ:
        # ASan's quarantine keeps freed memory (up to 256 MiB) out of
        # reuse, so RSS climbs with every free(): without it the growth
        # figures mean something again (use-after-free is the business of
        # the e2e and abuse suites).
        os.environ["ASAN_OPTIONS"] = \
            "quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
    signal.signal(signal.SIGALRM, hard_stop)
    signal.alarm(int(SECONDS + HARD_MARGIN))
    if not os.access(ARGO_BIN, os.X_OK):
        out("no daemon at %s (ARGO_BIN)" % ARGO_BIN)
        out("0 passed, 1 failed")
        return 1
    root = tempfile.mkdtemp(prefix="argo-soak-")
    d = Daemon(root)

    def cleanup():
        d.kill_all()
        if d.log_fd:
            d.log_fd.close()
        if not KEEP:
            shutil.rmtree(root, ignore_errors=True)
    CLEANUP.append(cleanup)
    check = Checks()
    try:
        return run(d, check)
    finally:
        cleanup()
        if KEEP:
            out("kept %s" % root)


def run(d, check):
    out("argo-server soak: %s, %g s, %d clients" % (ARGO_BIN, SECONDS,
                                                     NCLIENTS))
    d.setup()
    if not check(d.start(), "daemon started", "port %s" % d.port):
        out(d.log()[-3000:])
        out("%d passed, %d failed" % (check.passed, check.failed))
        return 1

    stats = Stats()
    t0 = time.monotonic()
    deadline = t0 + SECONDS
    threads = [threading.Thread(target=client_loop, daemon=True,
                                args=(d.port, stats, 1000 + i, deadline))
               for i in range(NCLIENTS)]
    threads.append(threading.Thread(target=rapid_loop, daemon=True,
                                    args=(d.port, stats, 999, deadline)))
    for t in threads:
        t.start()

    interval = min(5.0, max(0.5, SECONDS / 30.0))
    # Reloads replace every worker, so they are kept out of the tail: the
    # last 45% of the run has long-lived workers to follow.
    hups_at = [t0 + SECONDS * f for f in (0.30, 0.55)]
    cfg_every = max(interval, 2.0)
    # (t, master, {pid: (rss, anon, fds)}, sessions, replies, broker);
    # master and broker: (rss, anon, fds); broker None if not seen
    samples = []
    brokers = set()       # the broker pids seen
    bkids = []            # live children of the broker, per sample
    bzombies = []         # zombie children of the broker, per sample
    # pid -> [(t, sessions served, anon rss, fds, idle)]; idle: no socket
    # but the listeners (the master's), so no session's fds are counted
    worker_life = {}
    next_sample = t0 + 0.5
    next_cfg = t0 + cfg_every
    hups = cfgs = 0
    rng = random.Random(7)
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        if hups_at and now >= hups_at[0]:
            hups_at.pop(0)
            os.kill(d.pid, signal.SIGHUP)
            hups += 1
        if now >= next_cfg:
            name = rng.choice(sorted(INSTANCES))
            d.write_cfg(name, rng.choice([64, 96, 128, 256, 512]))
            cfgs += 1
            next_cfg += cfg_every
        if now >= next_sample:
            procs = all_procs()
            m = rss_fds(d.pid)
            ws = {}
            for k in workers_of(d.pid, procs):
                v = rss_fds(k)
                if v:
                    ws[k] = v
            bpid = broker_of(d.pid, procs)
            bv = rss_fds(bpid) if bpid else None
            sess = d.count_sessions()
            if m:
                samples.append((now - t0, m, ws, stats.sessions,
                                stats.total(), bv))
                if bpid:
                    brokers.add(bpid)
                bkids.append(children_of(bpid, procs) if bpid else [])
                bzombies.append(zombies_of([bpid], procs) if bpid else [])
                listeners = sockets_of(d.pid)
                for k, v in ws.items():
                    worker_life.setdefault(k, []).append(
                        (now - t0, sess.get(k, 0), v[1], v[2],
                         sockets_of(k) <= listeners))
            next_sample += interval
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    for t in threads:
        t.join(IO_TIMEOUT * 2 + 2)
    hung = [t for t in threads if t.is_alive()]

    # -- the series
    out("")
    out("KiB; rss = VmRSS, anon = anonymous RSS without yescrypt's "
        "scratch area; w_* = max (mx), sum or min over the workers alive; "
        "b_* = the broker: b_fd-w its fds less the workers alive, b_kid "
        "its live children (requests, consoles), b_z its zombies")
    out("%6s %6s %6s %5s %4s %8s %9s %8s %6s %6s %6s %6s %5s %6s %5s %3s "
        "%6s %7s" % (
            "t(s)", "m_rss", "m_anon", "m_fds", "wrk", "w_rss_mx",
            "w_rss_sum", "w_anon_mx", "w_fds", "fd_min", "b_rss", "b_anon",
            "b_fds", "b_fd-w", "b_kid", "b_z", "sess", "replies"))
    for i, (t, (mrss, manon, mfd), ws, nsess, nrep, bv) in \
            enumerate(samples):
        wr = [v[0] for v in ws.values()] or [0]
        wa = [v[1] for v in ws.values()] or [0]
        wf = [v[2] for v in ws.values()] or [0]
        brss, banon, bfd = bv or (0, 0, 0)
        out("%6.1f %6d %6d %5d %4d %8d %9d %9d %6d %6d %6d %6d %5d %6d %5d "
            "%3d %6d %7d" % (
                t, mrss // 1024, manon // 1024, mfd, len(ws), max(wr) // 1024,
                sum(wr) // 1024, max(wa) // 1024, max(wf), min(wf),
                brss // 1024, banon // 1024, bfd, bfd - len(ws),
                len(bkids[i]), len(bzombies[i]), nsess, nrep))
    out("")

    # -- the load
    total = stats.total()
    out("load: %d clients + 1 rapid, %d sessions, %d replies (%.0f/s), "
        "%d SIGHUP reloads, %d .cfg rewrites" % (
            NCLIENTS, stats.sessions, total, total / SECONDS, hups, cfgs))
    out("replies: " + ", ".join("%s %d" % kv for kv in
                                sorted(stats.replies.items())))
    out("requests: " + ", ".join("%s %d" % kv for kv in
                                 sorted(stats.commands.items())))
    out("outcomes: " + ", ".join("%s %d" % kv for kv in
                                 sorted(stats.outcomes.items())))
    sess = d.count_sessions()
    if sess:
        out("workers that served sessions: %d; sessions per worker: max %d "
            "(recycled at %d)" % (len(sess), max(sess.values()),
                                  MAX_SESSIONS_PER_WORKER))

    check(not hung, "client threads finished", "%d hung" % len(hung))
    check(stats.nerrors == 0, "no malformed reply or client error",
          "%d errors" % stats.nerrors)
    for e in stats.errors:
        out("      " + e)
    seen = set(stats.commands)
    want = {"help", "version", "whoami", "auth", "list", "status", "ip",
            "start", "boot", "create", "pause", "unpause", "shutdown",
            "reboot", "destroy", "frobnicate", "quit", "exit",
            "(long line)", "(control bytes)", "pipelined", "info",
            "console", "mem-set", "vcpu-set"}
    check(want <= seen, "every command was exercised", "missing %s" %
          (" ".join(sorted(want - seen)) or "none"))
    done = stats.outcomes
    check(done.get("console attached", 0) > 0 and
          done.get("mem-set 200", 0) > 0 and done.get("vcpu-set 200", 0) > 0,
          "a console attached, echoed and detached; mem-set and vcpu-set "
          "answered 200", "%d, %d, %d times" % (
              done.get("console attached", 0), done.get("mem-set 200", 0),
              done.get("vcpu-set 200", 0)))
    calls, bad_calls = d.setter_calls()
    check(not bad_calls and calls > 0, "calls.log: mem-set and vcpu-set ran "
          "only with good numbers", "%d runs; %s" % (
              calls, " ".join(bad_calls[:5]) or "no other"))

    # -- the broker: one process all along, no zombie left, no child left
    # once the load has stopped
    bpid = broker_of(d.pid)
    check(len(brokers) == 1 and all(s[5] for s in samples) and
          bpid in brokers, "one broker, seen at every sample",
          "pids %s, now %s, missing at %d samples" % (
              " ".join(map(str, sorted(brokers))), bpid,
              sum(1 for s in samples if not s[5])))
    lingering = sorted({(samples[i][0], z) for i in range(1, len(samples))
                        for z in set(bzombies[i]) & set(bzombies[i - 1])})
    check(not lingering, "broker: no zombie child in two consecutive "
          "samples", "%d seen; %s" % (
              sum(len(z) for z in bzombies),
              " ".join("pid %d at %.1fs" % (z, t) for t, z in lingering[:5])
              or "none lingered"))
    left = wait_for(lambda: not children_of(bpid) and not zombies_of([bpid]),
                    5 * SLOW) if bpid else True
    check(left, "broker: no request or console child left once the load "
          "stopped", "live %s, zombies %s" % (
              " ".join(map(str, children_of(bpid))) or "none",
              " ".join(map(str, zombies_of([bpid]))) or "none")
          if bpid and not left else "")

    # -- growth
    warm_n = max(1, int(round(len(samples) * WARMUP_FRACTION)))
    tail_n = max(1, int(round(len(samples) * TAIL_FRACTION)))
    if check(len(samples) >= warm_n + tail_n and len(samples) >= 4,
             "enough samples to judge growth", "%d samples, warm-up %d, "
             "tail %d" % (len(samples), warm_n, tail_n)):
        mrss = [s[1][0] for s in samples]
        mfds = [s[1][2] for s in samples]
        wrss = [max([v[1] for v in s[2].values()] or [0]) for s in samples]
        wfds = [max([v[2] for v in s[2].values()] or [0]) for s in samples]
        wfloor = [min([v[2] for v in s[2].values()] or [0])
                  for s in samples]
        brss = [(s[5] or (0, 0, 0))[0] for s in samples]
        banon = [(s[5] or (0, 0, 0))[1] for s in samples]
        bfdw = [(s[5] or (0, 0, 0))[2] - len(s[2]) for s in samples]
        b, f, g = growth(mrss, warm_n, tail_n)
        check(g <= MASTER_RSS_TOL or ASAN, "master RSS growth <= %s" %
              kib(MASTER_RSS_TOL), "warm-up max %s, tail min %s, %+d KiB%s" %
              (kib(b), kib(f), g // 1024, "; ASan build: informational"
               if ASAN else ""))
        b, f, g = growth(mfds, warm_n, tail_n)
        check(g <= MASTER_FD_TOL, "master fds growth <= %d" % MASTER_FD_TOL,
              "warm-up max %d, tail min %d" % (b, f))
        b, f, g = growth(wfds, warm_n, tail_n)
        check(g <= WORKER_FD_TOL, "worker fds (max over workers) growth <= "
              "%d" % WORKER_FD_TOL, "warm-up max %d, tail min %d" % (b, f))
        b, f, g = growth(wfloor, warm_n, tail_n)
        check(g <= WORKER_FD_TOL, "worker fds (min over workers: the idle "
              "floor) growth <= %d" % WORKER_FD_TOL, "warm-up max %d, tail "
              "min %d" % (b, f))
        b, f, g = growth(banon, warm_n, tail_n)
        b2, f2, g2 = growth(brss, warm_n, tail_n)
        check(g <= BROKER_ANON_TOL, "broker anon RSS growth <= %s" %
              kib(BROKER_ANON_TOL), "warm-up max %s, tail min %s, %+d KiB; "
              "raw RSS, not judged: %s, %s, %+d KiB" % (
                  kib(b), kib(f), g // 1024, kib(b2), kib(f2), g2 // 1024))
        b, f, g = growth(bfdw, warm_n, tail_n)
        check(g <= BROKER_FD_TOL, "broker fds less workers alive growth <= "
              "%d" % BROKER_FD_TOL, "warm-up max %d, tail min %d" % (b, f))
        b, f, g = growth(wrss, warm_n, tail_n)
        check(g <= WORKER_RSS_TOL, "worker anon RSS (max over workers) "
              "growth <= %s" % kib(WORKER_RSS_TOL), "warm-up max %s, tail "
              "min %s, %+d KiB" % (kib(b), kib(f), g // 1024))
        worst = None
        followed = 0
        for pid, life in worker_life.items():
            warm = [p for p in life if p[1] >= WARM_SESSIONS]
            if len(warm) < 2:
                continue
            followed += 1
            g = warm[-1][2] - warm[0][2]
            cand = (g, pid, warm[0][1], warm[-1][1], warm[0][2], warm[-1][2])
            if worst is None or cand > worst:
                worst = cand
        fworst = None
        ffollowed = 0
        for pid, life in worker_life.items():
            life = [p for p in life if p[4]]
            if len(life) < 4:
                continue
            ffollowed += 1
            half = len(life) // 2
            a = min(p[3] for p in life[:half])
            z = min(p[3] for p in life[half:])
            cand = (z - a, pid, a, z, life[half - 1][1], life[-1][1])
            if fworst is None or cand > fworst:
                fworst = cand
        if fworst is not None:
            g, pid, a, z, s0, s1 = fworst
            check(g <= WORKER_LIFE_FD_TOL, "worker fds over a worker's life "
                  "<= +%d" % WORKER_LIFE_FD_TOL, "%d workers followed; "
                  "worst: pid %d, idle with at least %d fds in the first "
                  "half (up to "
                  "%d sessions), %d in the second (up to %d)" %
                  (ffollowed, pid, a, s0, z, s1))
        if worst is None:
            check(False, "worker anon RSS over a worker's life",
                  "no worker sampled twice after %d sessions" %
                  WARM_SESSIONS)
        else:
            g, pid, s0, s1, r0, r1 = worst
            check(g <= WORKER_LIFE_TOL, "worker anon RSS over a worker's "
                  "life <= %s" % kib(WORKER_LIFE_TOL), "%d workers followed;"
                  " worst: pid %d, %s after %d sessions, %s after %d, "
                  "%+d KiB" % (followed, pid, kib(r0), s0, kib(r1), s1,
                               g // 1024))

    # -- stop
    pid = d.pid
    zs = zombies_of({pid} | set(children_of(pid)))
    kids = children_of(pid)
    os.kill(pid, signal.SIGTERM)
    try:
        rc = d.proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        rc = "none after %g s" % STOP_TIMEOUT
    check(rc == 0, "daemon exits 0 on SIGTERM", "status %s" % rc)
    left = [k for k in kids if alive(k)]
    t_end = time.monotonic() + 5
    while left and time.monotonic() < t_end:
        time.sleep(0.05)
        left = [k for k in left if alive(k)]
    check(not left, "no worker outlives the master", " ".join(map(str, left)))
    check(not zs, "no zombies while running", " ".join(map(str, zs)))
    check(not d.pidfile.exists(), "pid file removed")
    text = d.log()
    bad = [ln for ln in text.splitlines()
           if any(b in ln for b in BAD_LOG) or "killed by signal" in ln]
    check(not bad, "log: no sanitizer report, no worker killed by a signal",
          bad[0][:200] if bad else "")
    check(not any(pw in text for pw in SECRETS), "log: no password")
    out("")
    out("%d passed, %d failed" % (check.passed, check.failed))
    return 1 if check.failed else 0


if __name__ == "__main__":
    sys.exit(main())
