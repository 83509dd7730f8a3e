#!/usr/bin/python3
"""Short-session load against libvirtd, in the shape loadgen uses for argo.

Each of P forked processes loops for T seconds: libvirt.open(URI) ->
listAllDomains() -> close(). Prints one JSON object on stdout with the
same keys as loadgen's short mode (rate, p50_us, p99_us, ...). Hard time
bound: every process has an alarm, so the run always stops.

python3-libvirt (Debian) is a thin binding over libvirt's C client, whose
own per-connection work (remote driver open, RPC handshakes) dominates;
the Python layer adds a few microseconds per call.

usage: libvirt_load.py URI PROCS SECONDS [WARMUP]
"""

import json
import os
import resource
import signal
import sys
import time

import libvirt


def _quiet(_ctx, _err):
    """Swallow libvirt's default stderr printing; errors are counted."""


def client(uri, start, measure, end, wfd):
    lat = []
    errors = 0
    first_error = ""
    ndoms = 0
    libvirt.registerErrorHandler(_quiet, None)
    while True:
        t0 = time.monotonic()
        if t0 >= end:
            break
        try:
            conn = libvirt.open(uri)
            try:
                ndoms = len(conn.listAllDomains())
            finally:
                conn.close()
        except libvirt.libvirtError as exc:
            errors += 1
            first_error = first_error or str(exc)
            time.sleep(0.001)
            continue
        t1 = time.monotonic()
        if t0 >= measure:
            lat.append(int((t1 - t0) * 1e9))
    data = json.dumps({"lat": lat, "errors": errors, "first_error": first_error,
                       "ndoms": ndoms}).encode()
    with os.fdopen(wfd, "wb") as f:
        f.write(data)


def pct(v, p):
    return round(v[(len(v) - 1) * p // 100] / 1e3, 1) if v else None


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    uri, procs, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    warmup = float(sys.argv[4]) if len(sys.argv) == 5 else 0.5
    hard = int(seconds + warmup) + 30
    signal.alarm(hard + 2)
    start = time.monotonic()
    measure = start + warmup
    end = measure + seconds
    kids = []
    for _ in range(procs):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(hard)
            code = 0
            try:
                client(uri, start, measure, end, w)
            except BaseException:  # pylint: disable=broad-except
                code = 1
            os._exit(code)
        os.close(w)
        kids.append((pid, r))
    lat, errors, first_error, ndoms, crashed = [], 0, "", 0, 0
    for pid, r in kids:
        with os.fdopen(r, "rb") as f:
            raw = f.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not raw:
            crashed += 1
            continue
        d = json.loads(raw)
        lat += d["lat"]
        errors += d["errors"]
        first_error = first_error or d["first_error"]
        ndoms = d["ndoms"]
    wall = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    lat.sort()
    out = {
        "mode": "short", "request": "listAllDomains", "clients": procs,
        "depth": 1, "seconds": seconds, "warmup": warmup,
        "count": len(lat), "rate": round(len(lat) / seconds, 1),
        "errors": errors, "killed": 0, "crashed": crashed,
        "body_lines": ndoms, "client_cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "wall_s": round(wall, 3), "first_error": first_error,
        "samples": len(lat), "min_us": pct(lat, 0), "p50_us": pct(lat, 50),
        "p90_us": pct(lat, 90), "p99_us": pct(lat, 99),
        "max_us": pct(lat, 100),
        "mean_us": round(sum(lat) / len(lat) / 1e3, 1) if lat else None,
    }
    print(json.dumps(out))
    return 1 if errors or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
