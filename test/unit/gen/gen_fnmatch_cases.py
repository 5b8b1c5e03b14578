#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""gen_fnmatch_cases.py - writes test/unit/test_filter_fnmatch_cases.h.

    gen_fnmatch_cases.py [--seed N] [--count N] [-o FILE]

CPython is the oracle: every expected result is what CPython's own
fnmatch.fnmatch() answers for the name and pattern after Filter's
normalisation (tracemalloc._normalize_filename: os.path.normcase, then a
trailing ".pyc" becomes ".py"), which is exactly what tracemalloc.Filter
matches a frame's file name with. tm_filter_match_filename() must agree on
every triple (test_statistics_oracle.c).

Patterns are random strings over an alphabet heavy in fnmatch
metacharacters (* ? [ ] ! ^ - and the backslash, which fnmatch treats as a
plain character), with non-ASCII letters (two- and three-byte UTF-8) and "/",
with well-formed bracket sets (negated, ranges, empty ranges) mixed in,
sometimes ending in ".pyc" or ".py". Each pattern is paired with a name built
to match it (each '*' and '?' expanded to random characters, each set replaced
by a character it accepts, everything else copied) and with a near miss (the built name with one character deleted,
inserted or replaced, a ".pyc"/".py" swap, or an unrelated random name), so
both answers are common. A (pattern, name) pair is never listed twice.
Standard library only; the same seed gives the same bytes.
"""
import argparse
import fnmatch
import random
import sys
import tracemalloc

# The generators run from the source tree (ctest unit.gen_tables too): leave
# no __pycache__ there.
sys.dont_write_bytecode = True
import ctable  # noqa: E402

DEFAULT_SEED = 20240611
DEFAULT_COUNT = 3000

# Letters, the metacharacters, "/", and é (2 UTF-8 bytes) and € (3 bytes).
ALPHABET = "abcyz" + "*?[]!^-\\" + "./&" + "\u00e9\u20ac"


def oracle(pattern, name):
    norm = tracemalloc._normalize_filename
    return fnmatch.fnmatch(norm(name), norm(pattern))


def random_text(rng, lo, hi):
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def random_set(rng):
    """A well-formed bracket set: optional '!' negation, then one to three
    items, each a character (']' too, first, where it is literal) or a
    range, sometimes reversed (CPython 3.11 drops a reversed range: it
    matches nothing)."""
    items = []
    for k in range(rng.randint(1, 3)):
        a = rng.choice(ALPHABET.replace("]", "") if k else ALPHABET)
        if rng.random() < 0.3:
            items.append(a + "-" + rng.choice(ALPHABET.replace("]", "")))
        else:
            items.append(a)
    return "[" + ("!" if rng.random() < 0.3 else "") + "".join(items) + "]"


def random_pattern(rng):
    """The pattern as a list of tokens: single characters, and now and then
    a whole bracket set, which random characters alone rarely form."""
    tokens = [random_set(rng) if rng.random() < 0.08 else rng.choice(ALPHABET)
              for _ in range(rng.randint(0, 7))]
    r = rng.random()
    if r < 0.10:
        tokens += list(".pyc")
    elif r < 0.15:
        tokens += list(".py")
    return tokens


def matching_name(rng, tokens):
    """A name the pattern probably matches: each '*' and '?' expanded to
    random characters, each bracket set token replaced by a character it
    accepts, everything else copied. Brackets formed by single characters
    are copied literally, so such a name may not match: the oracle, not
    this function, decides."""
    out = []
    for t in tokens:
        if t == "*":
            out.append(random_text(rng, 0, 3))
        elif t == "?":
            out.append(rng.choice(ALPHABET))
        elif len(t) > 1:
            fits = [c for c in ALPHABET if fnmatch.fnmatchcase(c, t)]
            out.append(rng.choice(fits) if fits else t)
        else:
            out.append(t)
    return "".join(out)


def near_miss(rng, name):
    r = rng.random()
    if r < 0.2 and name:
        i = rng.randrange(len(name))
        return name[:i] + name[i + 1:]
    if r < 0.35:
        i = rng.randint(0, len(name))
        return name[:i] + rng.choice(ALPHABET) + name[i:]
    if r < 0.5 and name:
        i = rng.randrange(len(name))
        return name[:i] + rng.choice(ALPHABET) + name[i + 1:]
    if r < 0.6:
        if name.endswith(".pyc"):
            return name[:-1]
        if name.endswith(".py"):
            return name + "c"
        return name + ".pyc"
    return random_text(rng, 0, 6)


def generate(seed, count):
    rng = random.Random(seed)
    seen, cases = set(), []

    def add(pattern, name):
        if (pattern, name) not in seen and len(cases) < count:
            seen.add((pattern, name))
            cases.append((pattern, name, oracle(pattern, name)))

    while len(cases) < count:
        tokens = random_pattern(rng)
        pattern = "".join(tokens)
        name = matching_name(rng, tokens)
        add(pattern, name)
        add(pattern, near_miss(rng, name))
    return cases


def render(seed, cases):
    ntrue = sum(1 for c in cases if c[2])
    head = ctable.comment([
        "test_filter_fnmatch_cases.h - %d (pattern, name, result) triples" % len(cases),
        "computed by CPython %s: fnmatch.fnmatch(norm(name), norm(pattern))"
        % ctable.python_version(),
        "with norm() = Filter's \".pyc\" -> \".py\"; %d are true. Random patterns" % ntrue,
        "over an alphabet rich in fnmatch metacharacters (* ? [ ] ! ^ - \\),",
        "non-ASCII letters and \"/\".",
        "",
        "Generated by test/unit/gen/gen_fnmatch_cases.py --seed %d; do not" % seed,
        "edit by hand. Regenerate with python3 %s (see test/unit/gen/README.md):"
        % ctable.python_version(),
        "  python3 test/unit/gen/gen_fnmatch_cases.py --seed %d -o \"$OUT\"" % seed,
        "with OUT=test/unit/test_filter_fnmatch_cases.h.",
    ])
    rows = ["  {%s, %s, %d}," % (ctable.c_str(p), ctable.c_str(n), int(m))
            for p, n, m in cases]
    return (head +
            "static const struct { const char *pattern, *name; int match; } "
            "fnmatch_cases[] = {\n" + "\n".join(rows) + "\n};\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--count", type=int, default=DEFAULT_COUNT)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    ctable.write(render(a.seed, generate(a.seed, a.count)), a.output)


if __name__ == "__main__":
    main(sys.argv[1:])
