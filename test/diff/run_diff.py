#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""run_diff.py - differential test: our `tracemalloc` CLI against CPython's
real tracemalloc module, line for line.

    run_diff.py --tracemalloc PATH [--seed N] [--rounds N] [--keep DIR]

Each round generates two random snapshots (seeded, so a failure replays
exactly), writes them in the tracemalloc-json exchange format, and compares
`tracemalloc stats` and `tracemalloc diff` with what oracle.py (CPython's
Snapshot.statistics / compare_to / filter_traces and str()) prints, for every
key, cumulative or not, and a set of filter combinations (include/exclude,
GLOB:LINE, all_frames, domain filters). Half the rounds go through a binary
dump (`tracemalloc export --format binary`) so the binary loader is covered
too. Exit 0 when every output matches, 1 otherwise (the first differences and
the files to replay them are printed). python3 is a test dependency only.
"""
import argparse
import io
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

FILES = ["a.c", "b.c", "src/main.c", "src/util.c", "src/alloc.c",
         "lib/x.c", "lib/y.cpp", "include/vec.h", "<unknown>",
         "caf\u00e9.c", "\u65e5\u672c/\u8a9e.c", "weird:12", "a.pyc",
         "a.py", "[x].c", "dir with space/f.c"]

PATTERNS = ["a.c", "*.c", "src/*", "*.h", "?.c", "[ab].c", "[!ab].c",
            "lib/*.c*", "<*>", "*", "caf?.c", "*\u8a9e*", "a.py",
            "weird:12", "[x].c", "*/f.c", "nothing", "src/main.c"]


def random_snapshot(rng, limit):
    ntb = rng.randint(1, 25)
    tbs = []
    for _ in range(ntb):
        depth = rng.randint(1, min(limit, 6))
        frames = [[rng.choice(FILES), rng.choice([0, 1, 2, 3, 7, 12, 40])]
                  for _ in range(depth)]
        tbs.append(frames)
    traces = []
    for _ in range(rng.randint(0, 60)):
        frames = rng.choice(tbs)
        size = rng.choice([0, 1, 7, 64, 1000, 10239, 10240, 102399,
                           rng.randint(0, 5000), rng.randint(0, 1 << 24),
                           rng.randint(0, 1 << 42)])
        total = rng.choice([None, len(frames), len(frames) + rng.randint(1, 9)])
        traces.append({"domain": rng.choice([0, 0, 0, 1, 2, 7]), "size": size,
                       "traceback": frames, "total_nframe": total})
    return {"format": "tracemalloc-json", "version": 1,
            "traceback_limit": limit, "traces": traces}


def random_filters(rng):
    out = []
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        if kind < 0.6:
            value = rng.choice(PATTERNS)
            if rng.random() < 0.3:
                value += ":%d" % rng.choice([0, 1, 2, 7, 12])
            out += [rng.choice(["--include", "--exclude"]), value]
        else:
            out += [rng.choice(["--include-domain", "--exclude-domain"]),
                    str(rng.choice([0, 1, 2, 7, 9]))]
    if rng.random() < 0.4:
        out.append("--all-frames")
    return out


def option_sets(rng):
    sets = []
    for key in ["lineno", "filename", "traceback"]:
        for cumulative in ([False, True] if key != "traceback" else [False]):
            base = ["--key", key] + (["--cumulative"] if cumulative else [])
            sets.append(base)
            for _ in range(3):
                sets.append(base + random_filters(rng))
    sets.append(["--limit", "3"])
    return sets


def run_oracle(argv):
    """oracle.main in-process (much faster than a python3 per query)."""
    out = io.BytesIO()

    class W:
        buffer = out
    saved = sys.stdout
    sys.stdout = W()
    try:
        oracle.main(argv)
    finally:
        sys.stdout = saved
    return out.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracemalloc", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--keep", help="directory for the generated files")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = args.keep or tempfile.mkdtemp(prefix="tm-diff-")
    os.makedirs(work, exist_ok=True)
    checks = failures = 0
    for r in range(args.rounds):
        limit = rng.randint(1, 8)
        paths = []
        for name in ("old", "new"):
            path = os.path.join(work, "r%d-%s.json" % (r, name))
            with open(path, "w", encoding="utf-8") as f:
                json.dump(random_snapshot(rng, limit), f, ensure_ascii=False)
            paths.append(path)
        cli_paths = paths
        if r % 2:
            cli_paths = [p[:-5] + ".tmd" for p in paths]
            for src, dst in zip(paths, cli_paths):
                subprocess.run([args.tracemalloc, "export", src, "--format",
                                "binary", "-o", dst], check=True)
        for opts in option_sets(rng):
            for cmd, files, ofiles in (("stats", cli_paths[:1], paths[:1]),
                                       ("diff", cli_paths, paths)):
                want = run_oracle([cmd] + ofiles + opts)
                got = subprocess.run([args.tracemalloc, cmd] + files + opts,
                                     capture_output=True)
                checks += 1
                if got.returncode == 0 and got.stdout == want:
                    continue
                failures += 1
                if failures <= 5:
                    print("MISMATCH: tracemalloc %s %s %s" %
                          (cmd, " ".join(files), " ".join(opts)))
                    print("  exit %d, stderr: %s" %
                          (got.returncode, got.stderr.decode(errors="replace")))
                    gl = got.stdout.decode(errors="replace").splitlines()
                    wl = want.decode(errors="replace").splitlines()
                    for i in range(max(len(gl), len(wl))):
                        g = gl[i] if i < len(gl) else "<none>"
                        w = wl[i] if i < len(wl) else "<none>"
                        if g != w:
                            print("  line %d:\n    ours:    %s\n    CPython: %s"
                                  % (i + 1, g, w))
                            break
    print("differential test (seed %d, %d rounds): %d outputs compared, "
          "%d mismatches" % (args.seed, args.rounds, checks, failures))
    if failures:
        print("files kept in", work)
        return 1
    if not args.keep:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
