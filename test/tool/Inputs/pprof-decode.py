#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""pprof-decode.py FILE.pb.gz - decode a gzipped profile.proto with a small
reader of the protobuf wire format (no protobuf package: test-only and
independent of our writer) and print it:

    types: inuse_objects/count inuse_space/bytes default=inuse_space
    sample: 3 12288 | cache_put app/cache.c:8 <- main app/server.c:13

one line per sample (values, then its locations most recent first as
function file:line). Checks the references as it goes: every location and
function id a sample uses exists, every string index is in the table."""
import gzip
import sys


def varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields(buf):
    """(field, wire type, value) of a message; LEN values as bytes."""
    pos = 0
    while pos < len(buf):
        key, pos = varint(buf, pos)
        field, wt = key >> 3, key & 7
        if wt == 0:
            value, pos = varint(buf, pos)
        elif wt == 2:
            n, pos = varint(buf, pos)
            value = buf[pos:pos + n]
            assert len(value) == n, "truncated field"
            pos += n
        else:
            raise ValueError("unexpected wire type %d" % wt)
        yield field, wt, value


def packed(value):
    out, pos = [], 0
    while pos < len(value):
        v, pos = varint(value, pos)
        out.append(v)
    return out


data = gzip.open(sys.argv[1]).read()
strings, types, samples = [], [], []
locations, functions = {}, {}
default = None
for f, wt, v in fields(data):
    if f == 6:
        strings.append(v.decode("utf-8", "surrogateescape"))
    elif f == 1:
        vt = {k: x for k, _, x in fields(v)}
        types.append((vt[1], vt[2]))
    elif f == 2:
        s = {1: [], 2: []}
        for k, w, x in fields(v):
            s[k] += packed(x) if w == 2 else [x]
        samples.append(s)
    elif f == 4:
        loc = {"lines": []}
        for k, _, x in fields(v):
            if k == 1:
                loc["id"] = x
            elif k == 4:
                loc["lines"].append({kk: xx for kk, _, xx in fields(x)})
        locations[loc["id"]] = loc
    elif f == 5:
        fn = {k: x for k, _, x in fields(v)}
        functions[fn[1]] = fn
    elif f == 14:
        default = v
assert strings[0] == "", "string 0 must be empty"
print("types: " + " ".join("%s/%s" % (strings[t], strings[u])
                           for t, u in types)
      + " default=" + strings[default])
for s in samples:
    frames = []
    for lid in s[1]:
        for line in locations[lid]["lines"]:
            fn = functions[line[1]]
            frames.append("%s %s:%d" % (strings[fn[2]], strings[fn[4]],
                                        line.get(2, 0)))
    print("sample: %s | %s" % (" ".join(map(str, s[2])), " <- ".join(frames)))
