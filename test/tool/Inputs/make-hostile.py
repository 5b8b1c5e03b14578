#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""make-hostile.py OUTDIR - write the hostile snapshots of hostile.test.

Each file is crafted to hurt a reader that trusts its input:
  deep.json      one trace whose traceback has 10,000 frames (recursion);
  amplify.tmd    a 0.6 MB binary dump whose 20 tracebacks of 10,000 frames
                 each all name one 1 KiB file name: 3 input bytes per frame
                 expand to a kilobyte of report per frame (output bounds);
  wrap.json      traces of SIZE_MAX and 5 bytes (size sums);
  controls.json  file names holding ESC sequences, C1 controls and bytes
                 that are not UTF-8 (terminal escapes);
  controls-fn.json  the same in function names;
  empty-tb.json  a trace with an empty traceback (CPython's <unknown> frame).
The binary writer follows runtime/io/dump.c's layout (docs/cli.md).
"""
import json
import os
import struct
import sys

out = sys.argv[1]


def crc32c(data):
    crc = 0xFFFFFFFF
    table = crc32c.table
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    crc32c.table.append(c)


def varint(v):
    b = bytearray()
    while True:
        if v < 0x80:
            b.append(v)
            return bytes(b)
        b.append((v & 0x7F) | 0x80)
        v >>= 7


def zigzag(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


def string(s):
    return varint(len(s)) + s


def dump(path, strings, tracebacks, traces, limit=10000):
    p = bytearray()
    p += varint(zigzag(limit)) + varint(0)  # limit, flags (no traced memory)
    p += varint(0) * 4  # current, peak, runtime memory, dropped
    p += varint(zigzag(-1)) + varint(0) + string(b"")  # pid, time, program
    p += varint(len(strings)) + b"".join(string(s) for s in strings)
    p += varint(len(tracebacks))
    for frames in tracebacks:
        p += varint(len(frames)) + varint(len(frames) + 1)
        for f, line in frames:
            p += varint(f) + varint(line) + varint(0)
    p += varint(len(traces))
    for tb, size in traces:
        p += varint(tb << 1) + varint(size)
    header = b"\x89TMSNAP\n" + struct.pack("<HHIQ", 1, 0, crc32c(p), len(p))
    with open(path, "wb") as f:
        f.write(header + p)


def write_json(path, traces, limit=10000):
    doc = {"format": "tracemalloc-json", "version": 1,
           "traceback_limit": limit, "traces": traces}
    with open(path, "w") as f:
        json.dump(doc, f)


def trace(size, frames):
    return {"domain": 0, "size": size, "traceback": frames,
            "total_nframe": len(frames)}


write_json(os.path.join(out, "deep.json"),
           [trace(64, [["deep.c", i % 100 + 1] for i in range(10000)])])

dump(os.path.join(out, "amplify.tmd"), [b"/" + b"x" * 1023],
     [[(0, (i + t) % 127 + 1) for i in range(10000)] for t in range(20)],
     [(t, 100) for t in range(20)])

write_json(os.path.join(out, "wrap.json"),
           [trace(2**64 - 1, [["a.c", 1]]), trace(5, [["a.c", 1]])])

# json.dump escapes the controls; \udcXX is a byte that is not UTF-8.
write_json(os.path.join(out, "controls.json"),
           [trace(300, [["evil\x1b]0;pwned\x07\x1b[2J.c", 1]]),
            trace(200, [["c1\u009b31m.c", 2]]),
            trace(100, [["latin1-\udce9t\udce9.c", 3]]),
            trace(50, [["caf\u00e9/\u6587\u4ef6.c", 4]])])

fn_trace = trace(300, [["evil.c", 1], ["main.c", 2]])
fn_trace["functions"] = ["f\x1b]0;pwned\x07", "g\u009b1m\udce9"]
write_json(os.path.join(out, "controls-fn.json"), [fn_trace])

write_json(os.path.join(out, "empty-tb.json"),
           [trace(10, []), trace(5, [["a.c", 1]])])
