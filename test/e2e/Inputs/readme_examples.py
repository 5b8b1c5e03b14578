#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""readme_examples.py README.md DIR

Writes the README's complete C programs into DIR so that a test compiles
and runs them (test/e2e/readme-api.test): every ```c block whose first line
is a comment naming its file ("/* NAME.c: ...") becomes DIR/NAME.c, and the
next fenced block, when the text between the two says "prints", becomes
DIR/NAME.expected (the output the README shows). Prints the names written;
exit 1 when the README has no such program (the test must not pass on
nothing).
"""
import os
import re
import sys

readme, out = sys.argv[1], sys.argv[2]
lines = open(readme, encoding="utf-8").read().split("\n")
blocks = []  # (fence line index, language, body lines, end index)
i = 0
while i < len(lines):
    m = re.match(r"^```(\w*)\s*$", lines[i])
    if m:
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        blocks.append((i, m.group(1), lines[i + 1:j], j))
        i = j + 1
    else:
        i += 1
names = []
for k, (start, lang, body, end) in enumerate(blocks):
    m = re.match(r"^/\* ([\w-]+\.c): ", body[0]) if lang == "c" and body else None
    if not m:
        continue
    name = m.group(1)
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")
    if k + 1 < len(blocks):
        nstart, _, nbody, _ = blocks[k + 1]
        between = "\n".join(lines[end + 1:nstart])
        if "prints" in between:
            stem = name[:-2]
            with open(os.path.join(out, stem + ".expected"), "w",
                      encoding="utf-8") as f:
                f.write("\n".join(nbody) + "\n")
    names.append(name)
print(" ".join(names))
sys.exit(0 if names else 1)
