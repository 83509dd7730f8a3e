#!/usr/bin/env python3
"""Keep the documentation in step with the contract.

Checks, from the repository root (or ROOT given as the first argument):
  - every configuration key appears as an entry in man/argo-server.conf.5,
    with its default, and in etc/argo-server.conf with the same default;
  - every protocol command appears in man/argo-server.8;
  - the README's map of which process runs which src/ file names them all;
  - with --binary PATH: the daemon accepts a file that sets every key to
    its documented default, accepts the shipped sample, and rejects an
    unknown key (so the key list below cannot drift from the parser).

The lists are those of the lead's decisions (notes/COMMON.md, DESIGN 3-4).
Prints "ok"/"not ok" lines and "N passed, N failed"; exit 1 on failure.
"""
import os
import re
import subprocess
import sys
import tempfile

# key: default, as the daemon has it; None = no single default to show.
SERVER_KEYS = {
    "port": "20203",
    "listen": "0.0.0.0 ::",
    "workers": "4",
    "max_clients": "64",
    "max_per_host": "8",
    "per_host_prefix6": "64",
    "idle_timeout": "300",
    "login_timeout": "30",
    "max_auth_tries": "3",
    "auth_throttle_after": "5",
    "auth_throttle_window": "900",
    "xen_dir": "/etc/xen",
    "toolstack": "/usr/sbin/xl",
    "toolstack_timeout": "60",
    "watch_interval": "2",
    "pidfile": "/run/argo-server.pid",
    "anonymous_read": "yes",
    "user": "argo-server",
    "chroot": "/var/lib/argo-server/empty",
    # DESIGN.md 8: set, not commented, in the shipped file
    "socket": None,
    "socket_mode": None,
    "socket_group": None,
}
SHIPPED_SOCKET = ["socket = /run/argo-server/argo.sock", "socket_mode = 0660",
                  "socket_group = argo"]
ALLOW_KEYS = {"client": None}
USER_KEYS = {"password": None, "instances": "*", "readonly": "no",
             "unix_users": None}
SECTIONS = ["server", "allow", "user NAME"]

COMMANDS = ["help", "version", "auth", "whoami", "list available",
            "list running", "status", "ip", "start", "boot", "create",
            "shutdown", "reboot", "destroy", "pause", "unpause", "info",
            "console", "mem-set", "vcpu-set", "watch", "exit", "quit"]
OPTIONS = ["c", "d", "f", "H", "h", "p", "t", "V"]

passed = failed = 0


def check(cond, name, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok %d - %s" % (passed + failed, name))
    else:
        failed += 1
        print("not ok %d - %s" % (passed + failed, name))
        if detail:
            print("# " + detail.replace("\n", "\n# "))


def mdoc_entry(src, key):
    """Text of the `.It Cm KEY` entry up to the next .It/.El/.Ss."""
    m = re.search(r"^\.It Cm %s( |$).*?(?=^\.(It|El|Ss|Sh)\b)"
                  % re.escape(key), src, re.M | re.S)
    return m.group(0) if m else None


def main():
    args = sys.argv[1:]
    binary = None
    if "--binary" in args:
        i = args.index("--binary")
        binary = args[i + 1]
        del args[i:i + 2]
    root = args[0] if args else "."
    conf5 = open(os.path.join(root, "man/argo-server.conf.5")).read()
    man8 = open(os.path.join(root, "man/argo-server.8")).read()
    sample = open(os.path.join(root, "etc/argo-server.conf")).read()

    for sec in SECTIONS:
        check(re.search(r"^\.Ss \\&\[%s\\&\]$" % re.escape(sec), conf5,
                        re.M) is not None,
              "argo-server.conf.5 has a subsection [%s]" % sec)

    for key, default in {**SERVER_KEYS, **ALLOW_KEYS, **USER_KEYS}.items():
        entry = mdoc_entry(conf5, key)
        check(entry is not None, "argo-server.conf.5 documents %s" % key)
        if entry is None or default is None:
            continue
        # the default, as rendered text: drop macros and escapes
        text = re.sub(r"^\.\w+ ?", "", entry, flags=re.M)
        text = text.replace("\\&", "").replace('"', "")
        text = " ".join(text.split())
        m = re.search(r"Default: *(?:Ql |Pa |Cm )?(\S+(?: ::)?)", text)
        shown = m.group(1).rstrip(".") if m else None
        check(shown is not None and
              (shown == default or shown == default.split()[0]),
              "argo-server.conf.5 gives %s's default %s" % (key, default),
              "found: %r" % shown)

    for key, default in SERVER_KEYS.items():
        if default is None:
            continue
        line = "#%s = %s" % (key, default)
        check(re.search("^" + re.escape(line) + "$", sample, re.M)
              is not None,
              "etc/argo-server.conf shows %r" % line)
    for key in list(ALLOW_KEYS) + list(USER_KEYS):
        check(re.search(r"^#?%s = " % key, sample, re.M) is not None,
              "etc/argo-server.conf shows %s" % key)
    active = [ln for ln in sample.splitlines()
              if ln.strip() and not ln.lstrip().startswith(("#", ";"))]
    check(active == ["[server]"] + SHIPPED_SOCKET +
          ["[allow]", "client = 127.0.0.1", "client = ::1"],
          "etc/argo-server.conf: the local socket, only loopback admitted, "
          "no active user",
          "active lines: %r" % active)
    check(all(len(ln.encode()) < 198 for ln in sample.splitlines()),
          "etc/argo-server.conf: every line under 198 bytes")

    for cmd in COMMANDS:
        check(re.search(r"\bIc %s\b" % re.escape(cmd), man8) is not None,
              "argo-server.8 documents command %r" % cmd)
    for opt in OPTIONS:
        check(re.search(r"^\.It Fl %s\b" % opt, man8, re.M) is not None,
              "argo-server.8 documents option -%s" % opt)
    for sig in ["SIGHUP", "SIGTERM", "SIGINT"]:
        check(sig in man8, "argo-server.8 documents %s" % sig)
    for reason in ["ACCESS DENIED", "SERVER BUSY", "UNKNOWN COMMAND",
                   "USAGE:", "NOT AUTHENTICATED", "AUTHENTICATION FAILED",
                   "PERMISSION DENIED", "NO SUCH INSTANCE", "LINE TOO LONG",
                   "BAD REQUEST", "TOOLSTACK FAILED:", "TOOLSTACK TIMEOUT",
                   "TIMEOUT"]:
        check(re.search(r"^\.It Li \"?%s" % re.escape(reason), man8, re.M)
              is not None, "argo-server.8 explains 400 %s" % reason)

    # The README's process map is the tree (DESIGN.md 5.2): every folder
    # of src/ on a line of its own.
    readme = open(os.path.join(root, "README")).read()
    m = re.search(r"^The process map is the tree.*?\n\n(.*?)(?:\n\n|\Z)",
                  readme, re.M | re.S)
    lines = [ln.strip() for ln in m.group(1).splitlines()] if m else []
    check(m is not None, "README maps src/ folders to processes")
    src = os.path.join(root, "src")
    for d in sorted(os.listdir(src)):
        if os.path.isdir(os.path.join(src, d)):
            check(sum(ln.startswith("src/%s/ " % d) for ln in lines) == 1,
                  "README's process map has a line for src/%s/" % d)

    example = conf5_example(conf5)
    check(example is not None and
          all(re.search(r"^%s = " % k, example, re.M) for k in SERVER_KEYS),
          "argo-server.conf.5's EXAMPLES sets every [server] key")

    if binary:
        check_binary(binary, root, sample)
        if example is not None:
            check_text(binary, example,
                       "argo-server -t accepts the example of "
                       "argo-server.conf.5")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def conf5_example(conf5):
    """The full example file in EXAMPLES, as a reader would copy it."""
    m = re.search(r"^\.Bd -literal[^\n]*\n(# /etc/argo-server/argo-server"
                  r"\.conf\n.*?)^\.Ed$", conf5, re.M | re.S)
    if not m:
        return None
    return m.group(1).replace("\\&", "").replace("\\e", "\\")


def check_text(binary, text, name):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "example.conf")
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o640)
        rc, out = run_t(binary, path)
        check(rc == 0, name, out)


def run_t(binary, path):
    p = subprocess.run([binary, "-t", "-c", path], capture_output=True,
                       text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def check_binary(binary, root, sample):
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        full = os.path.join(tmp, "defaults.conf")
        with open(full, "w") as f:
            f.write("[server]\n")
            for k, v in SERVER_KEYS.items():
                if v is not None:
                    f.write("%s = %s\n" % (k, v))
            f.write("[allow]\nclient = 127.0.0.1\n")
        os.chmod(full, 0o640)
        rc, out = run_t(binary, full)
        check(rc == 0, "argo-server -t accepts every key at its default",
              out)

        uncommented = os.path.join(tmp, "sample.conf")
        with open(uncommented, "w") as f:
            # the sample, with its [server] defaults switched on
            for ln in sample.splitlines():
                m = re.match(r"^#(\w+) = ", ln)
                if m and m.group(1) in SERVER_KEYS:
                    ln = ln[1:]
                f.write(ln + "\n")
        os.chmod(uncommented, 0o640)
        shipped = os.path.join(tmp, "shipped.conf")
        with open(shipped, "w") as f:
            f.write(sample)
        os.chmod(shipped, 0o640)
        for path, what in [(shipped, "the shipped sample"),
                           (uncommented, "the sample with defaults on")]:
            rc, out = run_t(binary, path)
            check(rc == 0 and "configuration OK" in out,
                  "argo-server -t accepts %s" % what, out)

        bad = os.path.join(tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[server]\nport = 20203\nno_such_key = 1\n")
        os.chmod(bad, 0o640)
        rc, out = run_t(binary, bad)
        check(rc == 1 and (bad + ":3:") in out,
              "argo-server -t rejects an unknown key with FILE:LINE", out)


if __name__ == "__main__":
    sys.exit(main())
