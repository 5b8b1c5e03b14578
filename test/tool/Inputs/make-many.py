#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""make-many.py OUT.json - a snapshot big enough to exercise the exporters'
size-dependent paths: 2500 traces (pickle APPENDS batches of 1000), 700
distinct files and 2500 distinct tracebacks (pickle memo indexes above 255,
a pprof profile larger than one 64 KiB gzip stored block),
sizes and domains past 2^31 (pickle LONG1), a negative traceback limit, an
empty traceback and total_nframe null."""
import json
import sys

traces = []
for i in range(2500):
    tb = [["src/file%03d.c" % (i % 700), 1 + i % 13],
          ["src/main.c", 10 + i % 9]]
    traces.append({"domain": 4000000000 if i % 500 == 7 else i % 3,
                   "size": 3000000000 + i if i % 400 == 1 else 1 + i % 97,
                   "traceback": tb[: 1 + i % 2],
                   "total_nframe": None if i % 11 == 0 else 2})
traces.append({"domain": 0, "size": 5, "traceback": [], "total_nframe": 0})
doc = {"format": "tracemalloc-json", "version": 1, "traceback_limit": -3,
       "traces": traces}
with open(sys.argv[1], "w") as f:
    json.dump(doc, f)
