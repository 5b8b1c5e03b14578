# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""ctable.py - what both table generators share: C literals and the header.

A generated header must be byte-identical from run to run and from machine to
machine (check_tables.py compares it with the committed copy), so everything
here is a pure function of its arguments: no dates, no paths, no locale.
"""
import sys


def c_str(s):
    """A C string literal holding s's UTF-8 bytes, or NULL for None.

    Printable ASCII is kept as is except '"' and '\\' (escaped) and '?'
    (written \\077 so that no trigraph like ??/ can form); every other byte is
    a three-digit octal escape, which cannot swallow a following digit the
    way a \\x escape would."""
    if s is None:
        return "NULL"
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif c == "?" or not 0x20 <= b < 0x7F:
            out.append("\\%03o" % b)
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def c_bool(v):
    return "true" if v else "false"


def python_version():
    """The version the tables name: major.minor only. The tables depend on
    fnmatch, re, tracemalloc and random, whose behaviour is fixed within a
    CPython release series; check_tables.py refuses any other series."""
    return "%d.%d" % sys.version_info[:2]


def comment(lines):
    """A C block comment, one ' * ' line per entry."""
    out = ["/* " + lines[0]]
    out += [" * " + l if l else " *" for l in lines[1:]]
    out[-1] += " */"
    return "\n".join(out) + "\n"


def write(text, path):
    """Write text to path, or to stdout when path is None or '-'; bytes only,
    '\\n' line ends, so the file is the same on every platform."""
    data = text.encode("utf-8")
    if path in (None, "-"):
        sys.stdout.buffer.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
