#!/usr/bin/python3
"""The figures of issue 20: the local socket and argo over ssh.

    python3 bench/ssh_fleet.py ARGO_SERVER_BIN ARGO_CLIENT_BIN [REPS]

Root only (it makes a test user and runs sshd, as tests/e2e/test_ssh.py,
whose Sshd it uses).  One argo-server with the socket, listening on every
loopback address (only loopback is admitted), and one sshd (its test user
admitted from loopback only) reached as 127.0.0.1 to 127.0.0.32: the same
sshd for every "host".  Times, median of REPS
(default 5) runs each:

  session_unix    connect, version, quit, EOF: the socket, no process
  session_tcp     the same over TCP
  local_version   argo -l version                      the socket
  tcp_version     argo 127.0.0.1:PORT version          a TCP session
  tcp32_list      argo 127.0.0.1:P,...,127.0.0.32:P list running
  ssh32_cold      argo ssh://u@127.0.0.1:S,... list running, no shared
                  connection (every master stopped before each run)
  ssh32_warm      the same with the ControlMaster connections up
  ssh1_cold/warm  one ssh host
  *_version       the same fleets with `version` (no toolstack run)

Every "host" is this one daemon, whose clients all come from 127.0.0.1
(TCP) or one uid (ssh): max_per_host is raised to let 32 in at once.

Prints one JSON object (seconds).  Every run's exit status and line count
are checked.  Loopback only; sshd, the daemon and the ssh masters are
stopped by pid, the user removed when this made it.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))

SERVER, CLIENT = sys.argv[1], sys.argv[2]
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 5
os.environ["ARGO_CLIENT"] = CLIENT
import test_ssh  # noqa: E402  (after ARGO_CLIENT: it reads it)

N = 32
ADDRS = ["127.0.0.%d" % i for i in range(1, N + 1)]


def timed(argv, env, want_lines):
    t = time.monotonic()
    r = subprocess.run(argv, env=env, capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    dt = time.monotonic() - t
    if r.returncode != 0 or len(r.stdout.splitlines()) != want_lines:
        raise SystemExit("%s: exit %d\n%s%s" % (argv[:3], r.returncode,
                                                r.stdout, r.stderr))
    return dt


def session(fam, addr):
    """One session, no client process: connect, version, quit, EOF."""
    t = time.monotonic()
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(addr)
    s.sendall(b"version\nquit\n")
    buf = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    assert buf.startswith(b"200 OK\nargo-server "), buf
    return time.monotonic() - t


def median(f, reps=REPS):
    return round(statistics.median(f() for _ in range(reps)), 6)


def main():
    # sshd binds 16 addresses at most: the wildcard, with its test user
    # admitted from loopback only (AllowUsers USER@127.0.0.0/8).
    sshd = test_ssh.Sshd(addrs=("0.0.0.0",))
    root = tempfile.mkdtemp(prefix="argo-bench-")
    proc = None
    try:
        subprocess.run(["sh", os.path.join(HERE, "..", "tests", "fake-xen",
                                           "install.sh"), root + "/bin",
                        root + "/state"], check=True, timeout=60)
        os.mkdir(root + "/xen")
        with open(root + "/xen/web1.cfg", "w") as f:
            f.write('name = "web1"\nmemory = 64\n')
        conf = root + "/argo.conf"
        with open(conf, "w") as f:
            f.write("[server]\nlisten = 0.0.0.0\nport = 0\nworkers = 8\n"
                    "max_clients = 128\nmax_per_host = 128\nxen_dir = %s/xen\n"
                    "toolstack = %s/bin/xl\npidfile =\nsocket = %s\n"
                    "socket_mode = 0666\n[user ops]\nunix_users = %s 0\n"
                    % (root, root, sshd.sock, test_ssh.USER))
        os.chmod(conf, 0o600)
        log = open(root + "/log", "wb+")
        proc = subprocess.Popen([SERVER, "-f", "-c", conf], stdout=log,
                                stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline:
            log.seek(0)
            for ln in log.read().decode().splitlines():
                if " ready listen=0.0.0.0:" in ln:
                    port = int(ln.split("0.0.0.0:")[1].split()[0])
            time.sleep(0.05)
        assert port, "daemon not ready"
        subprocess.run([os.path.join(root, "bin", "xl"), "create",
                        root + "/xen/web1.cfg"], check=True, timeout=60,
                       env=dict(os.environ, ARGO_E2E_DIRECT="1"),
                       capture_output=True)
        env = sshd.env()
        env["ARGO_SOCKET"] = sshd.sock
        tcp = ",".join("%s:%d" % (a, port) for a in ADDRS)
        ssh = ",".join(sshd.spec(a) for a in ADDRS)
        out = {"reps": REPS, "hosts": N}
        out["local_version"] = median(lambda: timed(
            [CLIENT, "-l", "version"], env, 1), REPS * 10)
        out["tcp_version"] = median(lambda: timed(
            [CLIENT, "127.0.0.1:%d" % port, "version"], env, 1), REPS * 10)
        out["session_unix"] = median(lambda: session(
            socket.AF_UNIX, sshd.sock), REPS * 40)
        out["session_tcp"] = median(lambda: session(
            socket.AF_INET, ("127.0.0.1", port)), REPS * 40)
        out["tcp32_list"] = median(lambda: timed(
            [CLIENT, "-j", "64", tcp, "list", "running"], env, N))

        def cold(hosts, n, cmd=("list", "running")):
            sshd.stop_masters()
            return timed([CLIENT, "-j", "64", hosts] + list(cmd), env, n)
        # version: no toolstack run, the transports alone.
        out["tcp32_version"] = median(lambda: timed(
            [CLIENT, "-j", "64", tcp, "version"], env, N))
        out["ssh32_cold_version"] = median(lambda: cold(ssh, N, ["version"]))
        out["ssh32_warm_version"] = median(lambda: timed(
            [CLIENT, "-j", "64", ssh, "version"], env, N))
        out["ssh1_cold"] = median(lambda: cold(sshd.spec(), 1))
        out["ssh1_warm"] = median(lambda: timed(
            [CLIENT, sshd.spec(), "list", "running"], env, 1))
        out["ssh32_cold"] = median(lambda: cold(ssh, N))
        out["ssh32_warm"] = median(lambda: timed(
            [CLIENT, "-j", "64", ssh, "list", "running"], env, N))
        out["masters"] = len(sshd.masters())
        print(json.dumps(out, indent=1))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        sshd.close()
        subprocess.run(["rm", "-rf", root], timeout=60)


if __name__ == "__main__":
    main()
