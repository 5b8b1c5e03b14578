#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""flamegraph_browser.py TRACEMALLOC INPUTS_DIR WORK_DIR

The flame graph in a real browser (ctest tool.flamegraph_browser): writes
SVGs from test/tool/Inputs/flame.json and deep.json-like input with
`tracemalloc flamegraph`, opens them in headless Chromium (Debian's
`chromium`; scripts/install-deps.sh installs it; skipped, exit 77, without
it) and drives them over the
DevTools protocol on a pipe (--remote-debugging-pipe; no npm, no network):
real mouse clicks and key presses at the frames' positions, the Search
prompt answered, then the DOM read back. It checks exact outcomes:

- before any click: every frame at the position its weight gives, the
  frame narrower than one pixel absent, hostile names shown as text;
- a click on a frame: it spans the whole width, its callees scale with it,
  its callers span the width faded, every other frame is hidden, the labels
  are cut to the new widths; Reset Zoom (and a click on the root) restores
  the first picture exactly;
- Search "foo" (the button, then the prompt): exactly the frames whose
  function or file matches turn purple and "Matched: 52.50%" is shown (a
  match inside a match counts once); Ctrl-F and Escape;
- hovering a frame shows its details;
- a 10,000-frame chain loads and zooms;
- no script error, no dialog but the prompts we answer.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

from devtools_browser import Browser, find_chromium

TOOL, INPUTS, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
WIDTH, PAD = 1200, 10
INNER = WIDTH - 2 * PAD
MATCH_FILL = "rgb(230,0,230)"
failures = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else ": " + detail))
    if not ok:
        failures.append(what)


def near(a, b):
    return abs(float(a) - float(b)) < 0.011


# The state of every frame as the browser shows it: label (the <title>'s
# first line), the rect's geometry and fill, the text shown, hidden or not,
# faded (a caller of the zoomed frame) or not, and the page's controls.
STATE = r"""(() => {
  const out = {frames: [], controls: {}};
  for (const g of document.querySelectorAll("g.f")) {
    const r = g.querySelector("rect"), t = g.querySelector("text");
    out.frames.push({
      label: g.querySelector("title").textContent.split("\n")[0],
      title: g.querySelector("title").textContent,
      o: +g.getAttribute("data-o"), v: +g.getAttribute("data-v"),
      d: +g.getAttribute("data-d"),
      x: +r.getAttribute("x"), w: +r.getAttribute("width"),
      y: +r.getAttribute("y"), fill: r.getAttribute("fill"),
      text: t ? t.textContent : "",
      hidden: getComputedStyle(g).display === "none",
      parent: g.classList.contains("parent"),
      box: (({x, y, width, height}) => ({x, y, width, height}))(r.getBoundingClientRect())});
  }
  for (const id of ["unzoom", "search", "matched", "details"]) {
    const e = document.getElementById(id);
    const b = e.getBoundingClientRect();
    out.controls[id] = {text: e.textContent,
                        hidden: getComputedStyle(e).display === "none",
                        x: b.x + b.width / 2, y: b.y + b.height / 2};
  }
  return out;
})()"""


def fit(label, w):
    """cmd_flamegraph.c's and the script's label fitting."""
    n = int((w - 6) // 7) if w > 8 else 0
    if len(label) <= n:
        return label
    return label[:n - 2] + ".." if n >= 3 else ""


def frame(state, label, depth=None):
    found = [f for f in state["frames"]
             if f["label"] == label and (depth is None or f["d"] == depth)]
    if len(found) != 1:
        raise RuntimeError("%d frames %r at depth %s" % (len(found), label, depth))
    return found[0]


def click_frame(b, state, label, depth=None):
    box = frame(state, label, depth)["box"]
    b.click_at(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    return b.eval(STATE)


def click_control(b, state, name):
    c = state["controls"][name]
    b.click_at(c["x"], c["y"])
    return b.eval(STATE)


def check_zoom(state, z, what):
    """z (a frame of the first picture) spans the width; its subtree scales
    with it; its callers span the width, faded; everything else hidden."""
    scale = INNER / z["v"]
    bad = []
    for f in state["frames"]:
        inside = f["d"] >= z["d"] and z["o"] <= f["o"] and f["o"] + f["v"] <= z["o"] + z["v"]
        below = f["d"] < z["d"] and f["o"] <= z["o"] and f["o"] + f["v"] >= z["o"] + z["v"]
        if inside:
            x, w = PAD + (f["o"] - z["o"]) * scale, f["v"] * scale
            ok = (not f["hidden"] and not f["parent"] and near(f["x"], x)
                  and near(f["w"], w) and f["text"] == fit(f["label"], w))
        elif below:
            ok = (not f["hidden"] and f["parent"] and near(f["x"], PAD)
                  and near(f["w"], INNER) and f["text"] == fit(f["label"], INNER))
        else:
            ok = f["hidden"]
        if not ok:
            bad.append(f)
    check(what, not bad, json.dumps(bad, indent=1)[:3000])


def picture(state):
    return [(f["label"], f["d"], round(f["x"], 2), round(f["w"], 2), f["text"],
             f["hidden"], f["parent"], f["fill"]) for f in state["frames"]]


def main():
    exe = find_chromium()
    if not exe:
        # Skipped (77), as tool.golden without FileCheck and the lint checks
        # without their tools are; CI installs it (scripts/install-deps.sh).
        print("SKIP: chromium is not installed (Debian: apt-get install "
              "chromium; scripts/install-deps.sh installs it)")
        return 77
    os.makedirs(WORK, exist_ok=True)
    svg = os.path.join(WORK, "flame.svg")
    subprocess.run([TOOL, "flamegraph", os.path.join(INPUTS, "flame.json"),
                    "-o", svg], check=True)
    # A 10,000-frame chain (hostile.test's deep.json, with function names).
    deep = os.path.join(WORK, "deep.json")
    with open(deep, "w") as f:
        json.dump({"format": "tracemalloc-json", "version": 1,
                   "traceback_limit": 10000,
                   "traces": [{"domain": 0, "size": 64, "total_nframe": 10000,
                               "traceback": [["deep.c", i + 1] for i in range(10000)],
                               "functions": ["f%d" % (i + 1) for i in range(10000)]}]}, f)
    deep_svg = os.path.join(WORK, "deep.svg")
    subprocess.run([TOOL, "flamegraph", deep, "-o", deep_svg], check=True)
    # C++ names in a narrow graph: long details lines.
    cxx_svg = os.path.join(WORK, "cxx.svg")
    subprocess.run([TOOL, "flamegraph", os.path.join(INPUTS, "cxx-names.json"),
                    "-o", cxx_svg, "--width", "500"], check=True)

    profile = tempfile.mkdtemp(prefix="tm-chromium-", dir=WORK)
    b = Browser(exe, profile)
    try:
        run(b, svg, deep_svg, cxx_svg)
    finally:
        b.close()
        shutil.rmtree(profile, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


def run(b, svg, deep_svg, cxx_svg):
    b.open("file://" + svg)
    s0 = b.eval(STATE)
    labels = [f["label"] for f in s0["frames"]]
    check("the frames, in preorder, largest first",
          labels == ["all", "main (prog.c:12)", "parse_foo (parser.c:20)",
                     "alloc_node (ast.c:5)", "foo_buffer (buf.c:7)",
                     "render (render.c:30)", "alloc_node (ast.c:5)",
                     "format (fmt.c:9)", "food.c:3",
                     "evil<..>alert (x.c:1)"],
          repr(labels))
    check("the 1-byte frame (0.12 px) is not drawn",
          not any("tiny" in f["title"] for f in s0["frames"]))
    render = frame(s0, "render (render.c:30)")
    check("render's weight keeps the frame not drawn",
          render["v"] == 4501 and near(render["w"], 4501 * INNER / 10000),
          repr(render))
    check("render's tooltip", render["title"] ==
          "render (render.c:30)\n/src/app/render.c:30 and 1 other line\n"
          "4501 B in 3 blocks: 45.01% of all bytes", repr(render["title"]))
    check_zoom(s0, s0["frames"][0], "the first picture: every frame at its place")
    check("the controls before any click",
          s0["controls"]["unzoom"]["hidden"] and s0["controls"]["matched"]["hidden"]
          and s0["controls"]["search"]["text"] == "Search", repr(s0["controls"]))

    # Hover: the details line.
    box = render["box"]
    b.mouse("mouseMoved", box["x"] + 5, box["y"] + 5)
    details = b.eval('document.getElementById("details").textContent')
    check("hover shows the details, sizes first", details ==
          "4501 B in 3 blocks: 45.01% of all bytes; render (render.c:30); "
          "/src/app/render.c:30 and 1 other line", repr(details))

    # Click render: it spans the width, parse_foo and its callees are hidden.
    s1 = click_frame(b, s0, "render (render.c:30)")
    check_zoom(s1, render, "click render: zoomed")
    r1 = frame(s1, "render (render.c:30)")
    check("render spans the whole width", near(r1["x"], PAD) and near(r1["w"], INNER)
          and r1["text"] == "render (render.c:30)", repr(r1))
    check("its sibling parse_foo is hidden", frame(s1, "parse_foo (parser.c:20)")["hidden"])
    fmt = frame(s1, "format (fmt.c:9)")
    check("its callee format scaled", near(fmt["x"], PAD + 3000 * INNER / 4501)
          and near(fmt["w"], 1500 * INNER / 4501) and fmt["text"] == "format (fmt.c:9)",
          repr(fmt))
    check("Reset Zoom shown", not s1["controls"]["unzoom"]["hidden"])
    s2 = click_control(b, s1, "unzoom")
    check("Reset Zoom restores the first picture", picture(s2) == picture(s0),
          repr(picture(s2)))
    check("Reset Zoom hidden again", s2["controls"]["unzoom"]["hidden"])

    # Zoom two levels up, then click the root: the first picture again.
    s3 = click_frame(b, s2, "foo_buffer (buf.c:7)")
    check_zoom(s3, frame(s0, "foo_buffer (buf.c:7)"), "click foo_buffer: zoomed")
    check("foo_buffer's label now whole",
          frame(s3, "foo_buffer (buf.c:7)")["text"] == "foo_buffer (buf.c:7)")
    s4 = click_frame(b, s3, "all")
    check("a click on the root resets", picture(s4) == picture(s0))

    # Search "foo" with the button and the prompt.
    b.answers.append("foo")
    s5 = click_control(b, s4, "search")
    lit = sorted(f["label"] for f in s5["frames"] if f["fill"] == MATCH_FILL)
    check("search foo highlights exactly the matching frames",
          lit == ["foo_buffer (buf.c:7)", "food.c:3", "parse_foo (parser.c:20)"],
          repr(lit))
    check("the matched share (foo_buffer inside parse_foo counted once)",
          s5["controls"]["matched"]["text"] == "Matched: 52.50%"
          and not s5["controls"]["matched"]["hidden"], repr(s5["controls"]))
    check("the other frames keep their colours",
          all(f["fill"] == g["fill"] for f, g in zip(s5["frames"], s0["frames"])
              if f["fill"] != MATCH_FILL))
    check("the button resets the search",
          s5["controls"]["search"]["text"] == "Reset Search")
    s6 = click_control(b, s5, "search")
    check("Reset Search restores the colours", picture(s6) == picture(s0)
          and s6["controls"]["matched"]["hidden"])

    # Search while zoomed, with Ctrl-F; Escape resets both.
    s7 = click_frame(b, s6, "render (render.c:30)")
    b.answers.append("alloc_node|^format")
    b.key("f", "KeyF", 70, modifiers=2)
    s8 = b.eval(STATE)
    lit = [(f["label"], f["d"]) for f in s8["frames"] if f["fill"] == MATCH_FILL]
    check("Ctrl-F searches (a regular expression)",
          lit == [("alloc_node (ast.c:5)", 3), ("alloc_node (ast.c:5)", 3),
                  ("format (fmt.c:9)", 3)]
          and s8["controls"]["matched"]["text"] == "Matched: 85.00%", repr(lit))
    check_zoom(s8, render, "the search keeps the zoom")
    b.key("Escape", "Escape", 27)
    s9 = b.eval(STATE)
    check("Escape resets zoom and search", picture(s9) == picture(s0))
    check("exactly the two prompts were shown", [d[0] for d in b.dialogs] ==
          ["prompt", "prompt"], repr(b.dialogs))
    check("no script error", not b.errors, repr(b.errors))

    # A 10,000-frame chain: drawn and zoomable.
    b.open("file://" + deep_svg)
    n = b.eval('document.querySelectorAll("g.f").length')
    check("the 10,000-frame chain is drawn", n == 10001, repr(n))
    top = b.eval(r"""(() => { const gs = document.querySelectorAll("g.f");
      const g = gs[gs.length - 1], r = g.querySelector("rect").getBoundingClientRect();
      return {label: g.querySelector("title").textContent.split("\n")[0],
              x: r.x + r.width / 2, y: r.y + r.height / 2}; })()""")
    check("the allocation site is on top", top["label"] == "f1 (deep.c:1)", repr(top))
    mid = b.eval(r"""(() => { const g = document.querySelectorAll("g.f")[5000];
      g.scrollIntoView(); const r = g.querySelector("rect").getBoundingClientRect();
      return {label: g.querySelector("title").textContent.split("\n")[0],
              x: r.x + r.width / 2, y: r.y + r.height / 2}; })()""")
    b.click_at(mid["x"], mid["y"])
    shown = b.eval(r"""(() => { let n = 0, parents = 0;
      for (const g of document.querySelectorAll("g.f")) {
        if (getComputedStyle(g).display !== "none") n++;
        if (g.classList.contains("parent")) parents++; }
      return [n, parents, getComputedStyle(document.getElementById("unzoom")).display !== "none"]; })()""")
    check("a click deep in the chain zooms there (%s)" % mid["label"],
          shown == [10001, 5000, True], repr(shown))
    check("no script error in the deep graph", not b.errors, repr(b.errors))

    # C++ names, 500 px wide, a search active: the hovered frame's details
    # line starts with its sizes, is cut with "..", and ends left of the
    # "Matched" text instead of running under it.
    b.open("file://" + cxx_svg)
    c0 = b.eval(STATE)
    b.answers.append("docidx")
    c1 = click_control(b, c0, "search")
    tok = frame(c1, "docidx::Tokenizer::tokenize (tokenizer.cpp:26)")
    b.mouse("mouseMoved", tok["box"]["x"] + 5, tok["box"]["y"] + 5)
    geo = b.eval(r"""(() => { const d = document.getElementById("details"),
        m = document.getElementById("matched");
      const a = d.getBoundingClientRect(), z = m.getBoundingClientRect();
      return {text: d.textContent, right: a.x + a.width, left: z.x,
              matched: m.textContent}; })()""")
    check("C++ details: sizes first, cut, left of Matched",
          geo["text"].startswith("6000 B in 1 block: 42.86% of all bytes; docidx::")
          and geo["text"].endswith("..") and geo["right"] <= geo["left"]
          and geo["matched"] == "Matched: 78.57%", repr(geo))
    check("no script error in the C++ graph", not b.errors, repr(b.errors))


if __name__ == "__main__":
    sys.exit(main())
