#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""pickle-stats.py FILE KEY [cumulative] - load FILE with CPython's own
tracemalloc.Snapshot.load and print str(Statistic) of
statistics(KEY, cumulative), one per line: what `tracemalloc stats` must
print for the snapshot the pickle was exported from. Names that are not
UTF-8 come back as surrogateescape'd strings and are printed as the
original bytes, as our CLI prints them."""
import sys
import tracemalloc

snap = tracemalloc.Snapshot.load(sys.argv[1])
cumulative = len(sys.argv) > 3 and sys.argv[3] == "cumulative"
for st in snap.statistics(sys.argv[2], cumulative):
    sys.stdout.buffer.write(str(st).encode("utf-8", "surrogateescape") + b"\n")
