#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""timeline_browser.py TRACEMALLOC INPUTS_DIR WORK_DIR

The `tracemalloc timeline -o chart.svg` picture as a browser draws it
(ctest tool.timeline_browser): the chart of test/tool/Inputs/timeline.json
(a crafted timeline whose peak, 1600 KiB at 45.5 ms, lies between round
sample times) is opened in headless Chromium (Debian's `chromium`;
scripts/install-deps.sh installs it; skipped, exit 77, without it) over the
DevTools protocol on a pipe, as tool.flamegraph_browser does, and a
screenshot is taken. The PNG is decoded here (zlib, no imaging library) and
the pixels are checked where the chart must put things, computed from the
input's numbers and the plot rectangle alone:

- the red peak marker is at the point (45.5 ms, 1600 KiB), and there is no
  red anywhere else in the plot;
- the blue current line passes through a sample that is not the peak
  (60 ms, 500 KiB) and is absent above its step;
- between two samples the line holds the earlier sample's value (a step,
  as the ASCII chart draws it), not a straight line between them;
- the page has no script and raised no error.
"""
import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

from devtools_browser import Browser, find_chromium

TOOL, INPUTS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else ": " + detail))
    if not ok:
        failures.append(what)


def decode_png(data):
    """RGB(A) 8-bit non-interlaced PNG -> (width, height, rows of (r,g,b))."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    w, h, depth, ctype, _, _, interlace = hdr
    assert depth == 8 and ctype in (2, 6) and not interlace, hdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def is_red(p):  # the marker: #e00000
    return p[0] > 180 and p[1] < 60 and p[2] < 60


def is_blue(p):  # the current line: #1f6fd1
    return p[2] > 150 and p[0] < 90 and 80 < p[1] < 150


def main():
    exe = find_chromium()
    if not exe:
        print("SKIP: chromium is not installed (Debian: apt-get install "
              "chromium; scripts/install-deps.sh installs it)")
        return 77
    os.makedirs(WORK, exist_ok=True)
    svg = os.path.join(WORK, "timeline.svg")
    subprocess.run([TOOL, "timeline", os.path.join(INPUTS, "timeline.json"),
                    "-o", svg], check=True)
    text = open(svg, encoding="utf-8").read()
    check("no script in the SVG", "<script" not in text)
    profile = tempfile.mkdtemp(prefix="tm-chromium-", dir=WORK)
    b = Browser(exe, profile)
    try:
        b.open("file://" + svg)
        plot = b.eval("""(() => { const r = document.getElementById("plot");
          return [+r.getAttribute("x"), +r.getAttribute("y"),
                  +r.getAttribute("width"), +r.getAttribute("height")]; })()""")
        shot = b.call("Page.captureScreenshot", {"format": "png"})["data"]
        errors = list(b.errors)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    check("no script error", not errors, repr(errors))
    png = base64.b64decode(shot)
    with open(os.path.join(WORK, "timeline.png"), "wb") as f:
        f.write(png)  # to look at when a check fails
    w, h, px = decode_png(png)
    x0, y0, pw, ph = plot
    span, ymax = 100e6, 1638400.0  # the input's last time and largest peak

    def at(t, v):
        return (round(x0 + t / span * pw), round(y0 + ph - v / ymax * ph))

    def near(x, y, pred, r):
        return any(pred(px[y + dy][x + dx]) for dy in range(-r, r + 1)
                   for dx in range(-r, r + 1)
                   if 0 <= x + dx < w and 0 <= y + dy < h)

    mx, my = at(45.5e6, 1638400)
    check("the peak marker is red at (45.5 ms, 1600 KiB) = (%d, %d)" % (mx, my),
          is_red(px[my][mx]) and near(mx, my, is_red, 1),
          repr(px[my][mx]))
    far = [(x, y) for y in range(int(y0), int(y0 + ph))
           for x in range(int(x0), int(x0 + pw))
           if is_red(px[y][x]) and (abs(x - mx) > 8 or abs(y - my) > 8)]
    check("no red elsewhere in the plot", not far, repr(far[:5]))
    # A sample below the peak so far (where the dashed peak line is not).
    sx, sy = at(60e6, 512000)
    check("the current line passes (60 ms, 500 KiB) = (%d, %d)" % (sx, sy),
          near(sx, sy, is_blue, 2), repr(px[sy][sx]))
    # Right of the sample, inside its step (left of it is the vertical edge
    # down from the previous sample's 1000 KiB).
    check("and not 40 px above its step", near(sx + 10, sy, is_blue, 2) and
          not near(sx + 10, sy - 40, is_blue, 2))
    # Between two samples the chart holds the earlier value (a step, as the
    # ASCII chart does), not a straight line: at 90 ms, between 80 ms
    # (200 KiB) and 100 ms (2048 B), the line is at 200 KiB, and not at the
    # midpoint a straight line would pass.
    hx, hy = at(90e6, 204800)
    check("the current is held at 200 KiB at 90 ms = (%d, %d)" % (hx, hy),
          near(hx, hy, is_blue, 1), repr(px[hy][hx]))
    lx, ly = at(90e6, (204800 + 2048) / 2)
    check("and no line through the midpoint (%d, %d)" % (lx, ly),
          not near(lx, ly, is_blue, 3), repr(px[ly][lx]))
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
