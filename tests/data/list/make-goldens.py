#!/usr/bin/python3
"""Render the golden `xl list` / `xm list` outputs of tests/unit/test_domlist.c
with the exact format strings of the tools (XEN-FACTS.md 1.1 and 1.2), and
the expected parse (*.ref: name|id|mem|vcpus|state|cpu per domain).
Run it from this directory; the outputs are committed."""

XL_HEADER = "Name                                        ID   Mem VCPUs\tState\tTime(s)"
XM_HEADER = "%-40s %5s %5s %5s %10s %9s" % ("Name", "ID", "Mem", "VCPUs", "State", "Time(s)")
XM30_HEADER = "Name                              ID Mem(MiB) VCPUs State  Time(s)"


def word(s):
    # DESIGN/XEN-FACTS 1.3 mapping, written out independently of the C code.
    if s[5] == "d":
        return "dying"
    if s[4] == "c":
        return "crashed"
    if s[3] == "s" or s[4] != "-":
        return "shutdown"
    if s[2] == "p":
        return "paused"
    if s[0] == "r":
        return "running"
    if s[1] == "b":
        return "blocked"
    return "running"


def xl_row(name, domid, mem, vcpus, state, cpu):
    return "%-40s %5d %5d %5d     %s  %8.1f" % (name, domid, mem, vcpus, state, cpu)


def xm_row(name, domid, mem, vcpus, state, cpu):
    return "%-40s %5s %5d %5d %10s %8.1f" % (
        name, "" if domid is None else str(domid), mem, vcpus, state or "", cpu)


def xm30_row(name, domid, mem, vcpus, state, cpu):
    return "%-32s %3d %8d %5d %s %8.1f" % (name, domid, mem, vcpus, state, cpu)


def ref(doms):
    out = []
    for name, domid, mem, vcpus, state, cpu in doms:
        out.append("%s|%d|%d|%d|%s|%.1f" % (
            name, -1 if domid is None else domid, mem, vcpus,
            "stopped" if not state else word(state), cpu))
    return "".join(l + "\n" for l in out)


def write(base, header, rowfn, doms, trailer=""):
    with open(base + ".txt", "w") as f:
        f.write(header + "\n")
        for d in doms:
            f.write(rowfn(*d) + "\n")
        f.write(trailer)
    with open(base + ".ref", "w") as f:
        f.write(ref(doms))


xl_basic = [
    ("Domain-0", 0, 1024, 2, "r-----", 1234.5),
    ("web1", 3, 256, 1, "-b----", 55.1),
    ("db", 4, 2048, 4, "r-----", 98765.4),
    ("paused-vm", 7, 512, 2, "--p---", 0.3),
    ("runnable", 8, 128, 1, "------", 12.0),
]

# Every letter combination xl prints: flags r b p s, shutdown reason
# - r s c w S (4.7+), d.
xl_states = [("Domain-0", 0, 1024, 2, "r-----", 1.0)]
reasons = "-rscwS"
domid = 1
for r in "r-":
    for b in "b-":
        for p in "p-":
            for s in "s-":
                for reason in reasons:
                    for d in "d-":
                        st = r + b + p + s + reason + d
                        xl_states.append(("st-%s" % st.replace("-", "_"),
                                          domid, 64, 1, st, domid / 10))
                        domid += 1

xl_names = [
    ("Domain-0", 0, 1024, 2, "r-----", 1.0),
    ("exactly-forty-characters-long-name-xxxxx", 1, 256, 1, "-b----", 2.0),
    ("a-name-that-is-longer-than-forty-characters-and-pushes-the-columns", 2, 256, 1, "-b----", 3.0),
    ("name with spaces", 3, 512, 2, "r-----", 4.0),
    ("x", 4, 1, 1, "-b----", 5.0),
    ("1234", 5, 64, 1, "-b----", 6.0),
    ("tricky -b---- 1 2 3", 6, 128, 3, "--p---", 7.5),
    ("z" * 200, 32000, 1048576, 128, "r-----", 123456789.9),
]

xm_basic = [
    ("Domain-0", 0, 1024, 2, "r-----", 1234.5),
    ("web1", 3, 256, 1, "-b----", 55.1),
    ("crashed-vm", 5, 256, 1, "----c-", 9.9),
    ("managed-off", None, 512, 1, "", 0.0),
    ("shut", 6, 256, 1, "---s--", 1.0),
    ("a-name-that-is-longer-than-forty-characters-xm", 9, 128, 1, "-b----", 2.2),
    ("another-managed-but-inactive-domain-with-a-long-name", None, 1024, 4, "", 0.0),
]

# xm: one letter per flag of running blocked paused shutdown crashed dying.
xm_states = [("Domain-0", 0, 1024, 2, "r-----", 1.0)]
domid = 1
for r in "r-":
    for b in "b-":
        for p in "p-":
            for s in "s-":
                for c in "c-":
                    for d in "d-":
                        st = r + b + p + s + c + d
                        xm_states.append(("st-%s" % st.replace("-", "_"),
                                          domid, 64, 1, st, 0.1))
                        domid += 1

xm30 = [
    ("Domain-0", 0, 1024, 2, "r-----", 1234.5),
    ("old", 1, 128, 1, "-b----", 5.0),
]

write("xl-basic", XL_HEADER, xl_row, xl_basic)
write("xl-states", XL_HEADER, xl_row, xl_states)
write("xl-names", XL_HEADER, xl_row, xl_names)
write("xm-basic", XM_HEADER, xm_row, xm_basic)
write("xm-states", XM_HEADER, xm_row, xm_states)
write("xm-3.0", XM30_HEADER, xm30_row, xm30)
write("xl-dom0-only", XL_HEADER, xl_row, [("Domain-0", 0, 4096, 8, "r-----", 0.0)])
