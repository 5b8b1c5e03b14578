#!/bin/sh
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Writes history-threads.tmd, the exit dump of history-threads.c built with
# the real pass and runtime (tmcc) and run traced; and
# history-threads-old.tmd, the same snapshot as a dump written before the
# history carried threads (no history-threads section, header flag bit 5:
# one history record per traceback, summed over the threads), made from
# the first through the JSON format. Regenerate (only when the fixtures must
# change) from test/tool/Inputs:
#   sh make-history-threads.sh BUILD      (BUILD: a build tree, e.g.
#                                          ../../../build/dev)
set -eu
build=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The pass records absolute paths: this directory is spelled /src, so the
# fixture does not depend on where the repository is.
"$build/bin/tmcc" -O1 -fdebug-prefix-map="$(pwd)"=/src history-threads.c \
  -o "$tmp/history-threads" -lpthread
rm -f history-threads.tmd
TRACEMALLOC=1 TRACEMALLOC_DUMP=history-threads.tmd "$tmp/history-threads"
cli=$build/tools/tracemalloc/tracemalloc
"$cli" export history-threads.tmd -o "$tmp/new.json"
python3 - "$tmp/new.json" "$tmp/old.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
merged = {}
for rec in doc["history"]:
    rec.pop("thread", None)
    key = json.dumps([rec["traceback"], rec["total_nframe"], rec.get("functions")])
    if key in merged:
        for k in ("calls", "allocated", "frees", "temporary", "peak_size", "peak_count"):
            merged[key][k] += rec[k]
    else:
        merged[key] = rec
doc["history"] = list(merged.values())
json.dump(doc, open(sys.argv[2], "w"))
PY
"$cli" export "$tmp/old.json" --format binary -o history-threads-old.tmd
