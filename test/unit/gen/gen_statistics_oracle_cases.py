#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""gen_statistics_oracle_cases.py - writes
test/unit/test_statistics_oracle_cases.h.

    gen_statistics_oracle_cases.py [--seed N] [--cases N] [-o FILE]

CPython is the oracle: each case is a pair of random snapshots (s1, s2) built
as real tracemalloc.Snapshot objects, the way test/diff/oracle.py builds them
from our JSON format (traces are (domain, size, frames, total_nframe) with
frames most recent first, traceback_limit 4), and the table holds what
CPython 3.11 prints for them:
  - str() of every Statistic of s1.statistics(key, cumulative) and of every
    StatisticDiff of s2.compare_to(s1, key, cumulative), for the 5 valid
    (key, cumulative) pairs of VARIANTS, in CPython's order;
  - the indexes, in s1, of the traces s1.filter_traces(filters) keeps, for 1
    to 3 random Filter / DomainFilter objects.
test_statistics_oracle.c rebuilds the same snapshots with the C API and must
produce the same text, order and kept traces. Standard library only; the same
seed gives the same bytes.
"""
import argparse
import random
import sys
import tracemalloc

# The generators run from the source tree (ctest unit.gen_tables too): leave
# no __pycache__ there.
sys.dont_write_bytecode = True
import ctable  # noqa: E402

DEFAULT_SEED = 20240611
DEFAULT_CASES = 14
TRACEBACK_LIMIT = 4      # oc_trace_t holds 4 frames; oc_snapshot() uses 4
MAX_TRACES = 18
MAX_LINES = 160          # check_lines() buffers 160 lines ...
MAX_LINE_LEN = 255       # ... of 256 bytes

# Order matters: it is oc_variants[] and the order of exp[0..4] / exp[5..9].
VARIANTS = [("filename", False), ("lineno", False), ("traceback", False),
            ("lineno", True), ("filename", True)]
C_KEYS = {"filename": "TM_KEY_FILENAME", "lineno": "TM_KEY_LINENO",
          "traceback": "TM_KEY_TRACEBACK"}

# "<unknown>" is what tracemalloc records for a frame it cannot name;
# "a.pyc" exercises Filter's ".pyc" -> ".py"; "é.c" is non-ASCII.
FILES = ["a.c", "b.c", "A.c", "x.c", "src/a.c", "a.cc", "a.pyc", "\u00e9.c",
         "<unknown>"]
LINES = [0, 1, 2, 10, 100]
# Sizes around the unit boundaries of str(), and random ones up to 2^40 and
# 2^46 (str() switches to TiB at 10 TiB), where a 32-bit or float
# accumulator would show.
SIZES = [0, 1, 7, 100, 1000, 10240, 123456]
DOMAINS = [0, 1, 2, 3]
PATTERNS = ["*.c", "src/*", "a.c", "a.py", "a.pyc", "[ab].c", "*a*", "?.c",
            "<*>", "\u00e9*", "*.cc", "[!a]*", "A.c"]
FILTER_LINENOS = [None, 0, 1, 10]


def random_traceback(rng):
    n = rng.randint(1, TRACEBACK_LIMIT)
    frames = tuple((rng.choice(FILES), rng.choice(LINES)) for _ in range(n))
    # total_nframe: the frames kept, or more (a traceback cut at the limit)
    return frames, rng.choice([n, n + 3])


def random_trace(rng, pool):
    """Half the traces reuse a traceback of the pool, the others get a new
    one, which joins the pool."""
    if rng.random() < 0.5:
        frames, total = rng.choice(pool)
    else:
        frames, total = random_traceback(rng)
        pool.append((frames, total))
    size = rng.choice(SIZES + [rng.randint(0, 1 << 40), rng.randint(0, 1 << 46)])
    return (rng.choice(DOMAINS), size, frames, total)


def random_filter(rng):
    inclusive = rng.random() < 0.5
    if rng.random() < 0.3:
        return tracemalloc.DomainFilter(inclusive, rng.choice(DOMAINS))
    domain = rng.choice(DOMAINS) if rng.random() < 0.4 else None
    return tracemalloc.Filter(inclusive, rng.choice(PATTERNS),
                              rng.choice(FILTER_LINENOS),
                              rng.random() < 0.4, domain)


def kept_indexes(s1, kept):
    """Indexes in s1 of the traces filter_traces kept. It keeps them in
    order, so a forward scan pairs each kept trace with its original (equal
    traces are interchangeable: the filters decide by content)."""
    out, j = [], 0
    for t in kept.traces._traces:
        while s1.traces._traces[j] != t:
            j += 1
        out.append(j)
        j += 1
    return out


def generate(seed, ncases):
    rng = random.Random(seed)
    cases = []
    for _ in range(ncases):
        # s1 and s2 draw from one pool of tracebacks, so that compare_to
        # finds keys on both sides (changed sizes, +0 B, vanished keys).
        pool = [random_traceback(rng) for _ in range(rng.randint(1, 6))]
        t1 = [random_trace(rng, pool)
              for _ in range(rng.randint(1, MAX_TRACES))]
        t2 = [random_trace(rng, pool)
              for _ in range(rng.randint(1, MAX_TRACES))]
        filters = [random_filter(rng) for _ in range(rng.randint(1, 3))]
        s1 = tracemalloc.Snapshot(t1, TRACEBACK_LIMIT)
        s2 = tracemalloc.Snapshot(t2, TRACEBACK_LIMIT)
        stats = [[str(x) for x in s1.statistics(k, c)] for k, c in VARIANTS]
        diffs = [[str(x) for x in s2.compare_to(s1, k, c)]
                 for k, c in VARIANTS]
        for block in stats + diffs:
            assert len(block) <= MAX_LINES
            assert all(len(l.encode("utf-8")) <= MAX_LINE_LEN for l in block)
        kept = kept_indexes(s1, s1.filter_traces(filters))
        cases.append((t1, t2, stats + diffs, filters, kept))
    return cases


def c_trace(t):
    domain, size, frames, total = t
    return "  {%d, %dULL, %d, %d, {%s}, {%s}}," % (
        domain, size, total, len(frames),
        ", ".join(ctable.c_str(f) for f, _ in frames),
        ", ".join(str(l) for _, l in frames))


def c_filter(f):
    if isinstance(f, tracemalloc.DomainFilter):
        return "  {TM_FILTER_DOMAIN, %s, NULL, -1, false, false, %d}," % (
            ctable.c_bool(f.inclusive), f.domain)
    # filename_pattern is the normalised pattern ("a.pyc" -> "a.py"), which
    # is what CPython matched with; the C side normalises the same way.
    return "  {TM_FILTER_FILENAME, %s, %s, %d, %s, %s, %d}," % (
        ctable.c_bool(f.inclusive), ctable.c_str(f.filename_pattern),
        -1 if f.lineno is None else f.lineno, ctable.c_bool(f.all_frames),
        ctable.c_bool(f.domain is not None), f.domain or 0)


def render(seed, cases):
    traces, lines, filters, rows = [], [], [], []
    for t1, t2, blocks, fs, kept in cases:
        s1, s2 = len(traces), len(traces) + len(t1)
        traces += t1 + t2
        exp = []
        for block in blocks:
            exp.append("{%d, %d}" % (len(lines), len(block)))
            lines += block
        rows.append("  {%d, %d, %d, %d, {%s}, %d, %d, %s}," % (
            s1, len(t1), s2, len(t2), ", ".join(exp), len(filters), len(fs),
            ctable.c_str(" ".join(str(k) for k in kept))))
        filters += fs
    v = ctable.python_version()
    out = [ctable.comment([
        "test_statistics_oracle_cases.h - %d random snapshot pairs (up to %d"
        % (len(cases), MAX_TRACES),
        "traces of 1..4 frames over a few file names, \"<unknown>\" included,",
        "random sizes up to 2^46, domains 0..3) with what CPython %s prints" % v,
        "for them: str() of every Statistic of s1.statistics(key, cumulative)",
        "and every StatisticDiff of s2.compare_to(s1, key, cumulative) for the",
        "5 valid (key, cumulative) pairs, and the indexes of the traces",
        "s1.filter_traces(filters) keeps.",
        "",
        "Generated by test/unit/gen/gen_statistics_oracle_cases.py --seed %d;"
        % seed,
        "do not edit by hand. Regenerate with python3 %s (see" % v,
        "test/unit/gen/README.md):",
        "  python3 test/unit/gen/gen_statistics_oracle_cases.py --seed %d -o \"$OUT\""
        % seed,
        "with OUT=test/unit/test_statistics_oracle_cases.h.",
    ])]
    out.append(
        "typedef struct oc_trace { unsigned domain; unsigned long long size; "
        "unsigned total; unsigned nframe; const char *file[4]; "
        "unsigned line[4]; } oc_trace_t;")
    out.append(
        "typedef struct oc_filter { tm_filter_kind_t kind; bool inclusive; "
        "const char *pattern; int lineno; bool all_frames; bool has_domain; "
        "unsigned domain; } oc_filter_t;")
    out.append(
        "typedef struct oc_case { unsigned s1, n1, s2, n2; "
        "unsigned exp[10][2]; unsigned filters, nfilters; const char *kept; "
        "} oc_case_t;")
    out.append("static const struct { tm_key_t key; bool cumulative; } "
               "oc_variants[%d] = {" % len(VARIANTS))
    out += ["  {%s, %s}," % (C_KEYS[k], ctable.c_bool(c)) for k, c in VARIANTS]
    out.append("};")
    out.append("static const oc_trace_t oc_traces[] = {")
    out += [c_trace(t) for t in traces]
    out.append("};")
    out.append("static const char *const oc_lines[] = {")
    out += ["  %s," % ctable.c_str(l) for l in lines]
    out.append("};")
    out.append("static const oc_filter_t oc_filters[] = {")
    out += [c_filter(f) for f in filters]
    out.append("};")
    out.append("static const oc_case_t oc_cases[] = {")
    out += rows
    out.append("};")
    return out[0] + "\n".join(out[1:]) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--cases", type=int, default=DEFAULT_CASES)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    ctable.write(render(a.seed, generate(a.seed, a.cases)), a.output)


if __name__ == "__main__":
    main(sys.argv[1:])
