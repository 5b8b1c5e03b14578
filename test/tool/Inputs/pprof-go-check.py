#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""pprof-go-check.py TRACEMALLOC SNAP... : read our pprof export with the
real `go tool pprof` (Debian's golang-go) and check it against our own
reports of the same snapshot:

  -top -lines     every line with bytes (inuse_space) and blocks
                  (inuse_objects) is a line of `tracemalloc stats` with the
                  same size and count, biggest first;
  -traces -lines  every sample is a traceback group of `tracemalloc
                  traceback --limit all`: the same frames (file:line, most
                  recent first), size and count;
  -raw            every location carries the frame's function name (whole,
                  in pprof's system name; pprof prints a shortened name) or,
                  without one, the file name, and its file and line;
  -top -lines     with an allocation history in the snapshot, bytes and
    (alloc_*)     counts of every allocation since tracing started
                  (alloc_space, alloc_objects) are the lines of `tracemalloc
                  history`: the same allocated size and calls.

pprof prints file names cleaned (no "..", no "//"): ours are compared after
os.path.normpath. Exit 0 when every snapshot agrees, 1 with the differences,
77 (skipped) when `go` is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tracemalloc  # _format_size: the size text of CPython's str(Statistic)

failures = []


def fail(snap, what):
    failures.append("%s: %s" % (snap, what))


def run(args, env=None):
    r = subprocess.run(args, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit("pprof-go-check: %s failed (%d): %s" %
                 (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def size_text(n):
    return tracemalloc._format_size(n, False)


def norm(filename):
    return os.path.normpath(filename) if filename.startswith("/") or "/" in filename else filename


def frame_key(entry):
    """'name file:line' as pprof prints a frame -> 'file:line' (or the whole
    text when there is no line, as for '<unknown>')."""
    m = re.search(r" (\S+:\d+)$", entry)
    return m.group(1) if m else entry.strip()


def pprof_top(pprof, prof, index):
    out = pprof(["-top", "-lines", "-nodefraction=0", "-nodecount=1000000",
                 "-unit=B", "-sample_index=" + index, prof])
    rows = []
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+)B?\s+\S+%\s+\S+%\s+\S+\s+\S+%\s+(.*)$", line)
        if m and int(m.group(1)) > 0:
            rows.append((frame_key(m.group(2)), int(m.group(1))))
    return rows


def pprof_traces(pprof, prof, index):
    out = pprof(["-traces", "-lines", "-unit=B", "-sample_index=" + index,
                 prof])
    traces, cur = [], None
    for line in out.splitlines():
        if line.startswith("-----------+"):
            cur = None
            continue
        m = re.match(r"^\s*(\d+)B?\s{3}(.*)$", line)
        if m and cur is None:
            cur = (int(m.group(1)), [frame_key(m.group(2))])
            traces.append(cur)
        elif cur is not None and line.strip():
            cur[1].append(frame_key(line.strip()))
    return [(v, tuple(f)) for v, f in traces]


def ours_stats(tm, snap):
    rows = []
    for line in run([tm, "stats", snap]).splitlines():
        m = re.match(r"^(.*):(\d+): size=(.*), count=(\d+)", line)
        name, lineno = m.group(1), int(m.group(2))
        key = "%s:%d" % (norm(name), lineno) if lineno else name
        rows.append((key, m.group(3), int(m.group(4))))
    return rows


def ours_tracebacks(tm, snap):
    groups = []
    for line in run([tm, "traceback", snap, "--limit", "all"]).splitlines():
        m = re.match(r"^#\d+: size=(.*), count=(\d+)", line)
        if m:
            groups.append([m.group(1), int(m.group(2)), []])
            continue
        m = re.match(r'^  File "(.*)", line (\d+)', line)
        if m:
            name, lineno = m.group(1), int(m.group(2))
            groups[-1][2].append("%s:%d" % (norm(name), lineno)
                                 if lineno else name)
    return [(s, c, tuple(f)) for s, c, f in groups]


def ours_frames(tm, snap):
    """(function or file name, file, line) of every frame of the traces and
    of the history records, from our JSON."""
    import json
    doc = json.loads(run([tm, "export", snap, "--format", "json"]))
    frames = set()
    for t in doc["traces"] + doc.get("history", []):
        fns = t.get("functions") or [None] * len(t["traceback"])
        for (name, lineno), fn in zip(t["traceback"], fns):
            frames.add((fn or name, name, lineno))
    return frames


def ours_history(tm, snap):
    rows = []
    for line in run([tm, "history", snap]).splitlines():
        m = re.match(r"^(.*):(\d+): calls=(\d+), allocated=(.*?), ", line)
        name, lineno = m.group(1), int(m.group(2))
        key = "%s:%d" % (norm(name), lineno) if lineno else name
        rows.append((key, m.group(4), int(m.group(3))))
    return rows


def has_history(tm, snap):
    import json
    return "history" in json.loads(run([tm, "export", snap, "--format",
                                        "json"]))


def pprof_locations(pprof, prof):
    out = pprof(["-raw", prof])
    locs, on = set(), False
    for line in out.splitlines():
        if line.startswith("Locations"):
            on = True
            continue
        if line.startswith("Mappings"):
            break
        m = re.match(r"^\s*\d+: 0x0 M=\d+ (.*) (\S*):(\d+) s=0(?:\((.*)\))?$",
                     line)
        if on and m:
            short, name, lineno, full = m.groups()
            locs.add((full if full is not None else short, name, int(lineno)))
    return locs


def check(tm, pprof, snap, work):
    prof = os.path.join(work, "snap.pb.gz")
    run([tm, "export", snap, "--format", "pprof", "-o", prof])
    # -top: our stats lines, in order of size.
    ours = ours_stats(tm, snap)
    space = pprof_top(pprof, prof, "inuse_space")
    objects = dict(pprof_top(pprof, prof, "inuse_objects"))
    theirs = [(k, size_text(b), objects.get(k, 0)) for k, b in space]
    if sorted(theirs) != sorted(ours):
        fail(snap, "pprof -top %s != stats %s" % (theirs, ours))
    if [s for _, s, _ in theirs[:5]] != [s for _, s, _ in ours[:5]]:
        fail(snap, "top 5 sizes differ: %s != %s" % (theirs[:5], ours[:5]))
    # -traces: our traceback groups.
    tb = ours_tracebacks(tm, snap)
    counts = dict((f, v) for v, f in pprof_traces(pprof, prof,
                                                 "inuse_objects"))
    # (With a history, tracebacks whose blocks are all freed are samples
    # too, with nothing in use: our traceback report has no group for them.)
    theirs = [(size_text(v), counts.get(f, 0), f)
              for v, f in pprof_traces(pprof, prof, "inuse_space")
              if v or counts.get(f, 0)]
    if sorted(theirs) != sorted(tb):
        fail(snap, "pprof -traces %s != traceback %s" % (theirs, tb))
    # -raw: function name, file and line of every location.
    frames, locs = ours_frames(tm, snap), pprof_locations(pprof, prof)
    if frames != locs:
        fail(snap, "locations %s != frames %s" % (sorted(locs), sorted(frames)))
    # alloc_space / alloc_objects: our history lines.
    nhist = 0
    if has_history(tm, snap):
        hist = ours_history(tm, snap)
        space = pprof_top(pprof, prof, "alloc_space")
        objects = dict(pprof_top(pprof, prof, "alloc_objects"))
        theirs = [(k, size_text(b), objects.get(k, 0)) for k, b in space]
        if sorted(theirs) != sorted(hist):
            fail(snap, "pprof -top alloc_* %s != history %s" % (theirs, hist))
        nhist = len(hist)
    return len(ours), len(tb), len(locs), nhist


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: pprof-go-check.py TRACEMALLOC SNAP...")
    go = shutil.which("go")
    if not go:
        print("pprof-go-check: go not found (Debian: golang-go; "
              "scripts/install-deps.sh installs it); skipped")
        return 77
    tm = sys.argv[1]
    with tempfile.TemporaryDirectory() as work:
        # go keeps caches under $HOME; pprof may save profiles: all in work.
        env = dict(os.environ, HOME=work, GOCACHE=os.path.join(work, "cache"),
                   GOPATH=os.path.join(work, "gopath"), PPROF_TMPDIR=work,
                   GOFLAGS="-mod=mod", GOTOOLCHAIN="local")

        def pprof(args):
            return run([go, "tool", "pprof"] + args, env=env)

        for snap in sys.argv[2:]:
            lines, tbs, locs, hist = check(tm, pprof, snap, work)
            print("%s: %d lines, %d tracebacks, %d locations, %d history "
                  "lines checked" % (os.path.basename(snap), lines, tbs, locs,
                                     hist))
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
