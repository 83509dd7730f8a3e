#!/usr/bin/python3
"""The tree shows the design (DESIGN.md 5.2), checked on every build:

1. no file of src/worker/ includes a header of src/master/ or src/broker/
   (the build's include paths already refuse it; this says so plainly);
2. no files call each other in a circle: from the objects' symbol tables
   (nm), file A calls file B when A uses a symbol B defines; the strongly
   connected components of that graph must all be single files.

    check_layout.py SRCDIR OBJECT...

Exit 0 when both hold, 1 with every offence listed otherwise.  With
--self-test, first shows that a circle and a forbidden include are found.
"""
import collections
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def bad_includes(srcdir):
    """Worker files naming a header that is the master's or the broker's."""
    own = set()
    for d in ("worker", "common"):
        own |= set(os.listdir(os.path.join(srcdir, d)))
    privileged = set()
    for d in ("master", "broker"):
        privileged |= {f for f in os.listdir(os.path.join(srcdir, d))
                       if f.endswith(".h")}
    out = []
    wdir = os.path.join(srcdir, "worker")
    for f in sorted(os.listdir(wdir)):
        if not f.endswith((".c", ".h")):
            continue
        with open(os.path.join(wdir, f), encoding="utf-8") as fh:
            for h in INCLUDE.findall(fh.read()):
                if h not in own or h in privileged - own:
                    out.append("src/worker/%s includes %s" % (f, h))
    return out


def graph(objects):
    """{file: {file it calls}} from nm of each object."""
    defs, uses = {}, {}
    for o in objects:
        name = os.path.relpath(o)
        r = subprocess.run(["nm", o], capture_output=True, text=True,
                           check=True)
        uses[name] = set()
        for line in r.stdout.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRC":
                defs[p[2]] = name
            elif len(p) == 2 and p[0] == "U":
                uses[name].add(p[1])
    g = collections.defaultdict(set)
    for n, syms in uses.items():
        for s in syms:
            if s in defs and defs[s] != n:
                g[n].add(defs[s])
    return g, list(uses)


def circles(g, nodes):
    """The strongly connected components of more than one file (Tarjan,
    iterative: no recursion limit to meet)."""
    index, low, onstack, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(g[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        onstack.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    onstack.add(w)
                    work.append((w, iter(sorted(g[w]))))
                    advanced = True
                    break
                if w in onstack:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    onstack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def self_test():
    g = collections.defaultdict(set, {"a": {"b"}, "b": {"c"}, "c": {"a"},
                                      "d": {"a"}})
    assert circles(g, ["a", "b", "c", "d"]) == [["a", "b", "c"]]
    g = collections.defaultdict(set, {"a": {"b"}, "b": set()})
    assert circles(g, ["a", "b"]) == []


def main(argv):
    if argv and argv[0] == "--self-test":
        self_test()
        argv = argv[1:]
    srcdir, objects = argv[0], argv[1:]
    problems = bad_includes(srcdir)
    g, nodes = graph(objects)
    for comp in circles(g, nodes):
        edges = ["%s -> %s" % (a, ", ".join(sorted(b for b in g[a]
                                                   if b in comp)))
                 for a in comp]
        problems.append("files calling each other in a circle: " +
                        "; ".join(edges))
    for p in problems:
        print("FAIL: " + p)
    if problems:
        return 1
    print("ok: %d objects, no circle; worker files include nothing of the "
          "master's or the broker's" % len(objects))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
