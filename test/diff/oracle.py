#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""oracle.py - CPython's real tracemalloc as the reference for our CLI.

    oracle.py stats SNAP.json [--key K] [--cumulative] [--limit N] [FILTERS]
    oracle.py diff OLD.json NEW.json [same options]

Builds tracemalloc.Snapshot objects from the tracemalloc-json exchange format
exactly as docs/design.md says (a list of 4-tuples, frames and frames tuples as
tuples, most recent first; total_nframe may be None) and prints
str(Statistic) / str(StatisticDiff) lines, which is what `tracemalloc stats`
and `tracemalloc diff` must print. FILTERS follow the CLI: --include and
--exclude GLOB[:LINE] (LINE only if the text after the last ':' is all
digits), --all-frames, --include-domain D, --exclude-domain D.
Non-UTF-8 file names arrive as surrogateescape'd strings (\\udcXX), as the
format specifies. Python is a test dependency only.
"""
import json
import sys
import tracemalloc


def load(path):
    with open(path, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    assert doc["format"] == "tracemalloc-json" and doc["version"] == 1
    traces = [(t["domain"], t["size"],
               tuple((f, l) for f, l in t["traceback"]), t["total_nframe"])
              for t in doc["traces"]]
    return tracemalloc.Snapshot(traces, doc["traceback_limit"])


def parse_glob(value):
    head, sep, tail = value.rpartition(":")
    if sep and tail and all("0" <= c <= "9" for c in tail):
        return head, int(tail)
    return value, None


def parse_args(argv):
    opts = {"key": "lineno", "cumulative": False, "limit": None}
    pending, args, all_frames = [], [], False
    expanded = []
    for a in argv:  # --opt=value is --opt value, as in the CLI
        if a.startswith("--") and "=" in a:
            expanded.extend(a.split("=", 1))
        else:
            expanded.append(a)
    argv = expanded
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--key":
            opts["key"] = argv[i + 1]; i += 1
        elif a == "--cumulative":
            opts["cumulative"] = True
        elif a == "--limit":
            opts["limit"] = int(argv[i + 1]); i += 1
        elif a == "--all-frames":
            all_frames = True
        elif a in ("--include", "--exclude"):
            pending.append(("glob", a == "--include", argv[i + 1])); i += 1
        elif a in ("--include-domain", "--exclude-domain"):
            pending.append(("domain", a == "--include-domain",
                            int(argv[i + 1]))); i += 1
        else:
            args.append(a)
        i += 1
    filters = []
    for kind, inclusive, value in pending:
        if kind == "glob":
            pattern, lineno = parse_glob(value)
            filters.append(tracemalloc.Filter(inclusive, pattern, lineno,
                                              all_frames))
        else:
            filters.append(tracemalloc.DomainFilter(inclusive, value))
    return opts, filters, args


def main(argv):
    cmd = argv[0]
    opts, filters, args = parse_args(argv[1:])
    snaps = [load(p) for p in args]
    if filters:
        snaps = [s.filter_traces(filters) for s in snaps]
    if cmd == "stats":
        items = snaps[0].statistics(opts["key"], opts["cumulative"])
    else:
        items = snaps[1].compare_to(snaps[0], opts["key"], opts["cumulative"])
    if opts["limit"] is not None:
        items = items[:opts["limit"]]
    out = sys.stdout.buffer
    for s in items:
        out.write(str(s).encode("utf-8", "surrogateescape") + b"\n")


if __name__ == "__main__":
    main(sys.argv[1:])
