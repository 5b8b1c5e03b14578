#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Symbol-level dependency check of the runtime's layers (ctest lint.layers).

The include paths (runtime/CMakeLists.txt) stop a layer from including a
higher layer's headers, but not from declaring and calling its functions:
this check reads what each object file really defines and uses (nm), so it
sees every link-time dependency.

  check-layers.py --nm NM --allow FILE --layer NAME OBJ... [--layer ...]

(a) Layering: a symbol an object uses from the runtime must be defined in
    its own layer or in a layer ALLOWED below names for it (the table of
    docs/architecture.md), unless FILE allows that TU that symbol.
(b) No cycle between translation units: the graph has an edge A -> B when
    A uses a symbol B defines. FILE lists today's cycles as back edges (the
    upward call that closes them); each is printed with the shortest cycle
    it closes and the symbols of every edge. Without the back edges the
    graph must be acyclic: a new cycle is printed the same way and fails.
An entry of FILE that is no longer needed fails too, so the list stays
exactly today's exceptions and can only shrink.

Exit status: 0 clean, 1 violations, 2 usage or tool error.
"""
import argparse
import os
import subprocess
import sys

# Which layers each layer may use, besides itself.
ALLOWED = {
    "support": set(),
    "snapshot": {"support"},
    "io": {"support", "snapshot"},
    "core": {"support", "snapshot"},
    "hooks": {"support", "core"},
}

# nm type letters (POSIX output). Undefined: U; weak undefined: w, v.
# Global definitions: the upper-case sections, and i/u (GNU ifunc, unique).
UNDEFINED = set("Uwv")
DEFINED = set("ABCDGIRSTVWiu")

# A cycle search this large means the graph is tangled beyond listing.
MAX_CYCLES = 1000


def tu_name(layer, obj):
    """runtime/core/CMakeFiles/tm_core.dir/init.c.o -> core/init.c"""
    base = os.path.basename(obj)
    if base.endswith(".o"):
        base = base[:-2]
    return f"{layer}/{base}"


def read_symbols(nm, obj):
    """(defined, undefined) global symbol names of one object file."""
    try:
        out = subprocess.run([nm, "-P", obj], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"check-layers: {nm} -P {obj}: {e}")
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        name, kind = fields[0], fields[1]
        if kind in UNDEFINED:
            undefined.add(name)
        elif kind in DEFINED:
            defined.add(name)
    return defined, undefined


def elementary_cycles(graph, limit):
    """Up to limit elementary cycles of graph (node -> set of successors),
    each found once, from its smallest node (the search from node s stays
    among the nodes not smaller than s)."""
    cycles = []
    for start in sorted(graph):
        stack = [iter(sorted(graph[start]))]
        path = [start]
        while stack:
            for nxt in stack[-1]:
                if nxt == start:
                    cycles.append(tuple(path))
                    if len(cycles) >= limit:
                        return cycles
                elif nxt > start and nxt not in path:
                    stack.append(iter(sorted(graph[nxt])))
                    path.append(nxt)
                    break
            else:
                stack.pop()
                path.pop()
    return cycles


def shortest_path(graph, src, dst):
    """The shortest path src .. dst as a list of nodes, or None."""
    prev = {src: None}
    queue = [src]
    for node in queue:
        if node == dst:
            path = []
            while node is not None:
                path.append(node)
                node = prev[node]
            return path[::-1]
        for nxt in sorted(graph[node]):
            if nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    return None


def read_allow_list(path):
    """The allow-list: 'layering TU SYMBOL' and 'back-edge TU TU' lines,
    each after a '#' comment saying why. Returns ({(tu, sym): line},
    {(tu, tu): line}, [errors])."""
    layering, back_edges, errors = {}, {}, []
    commented = False
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line:
                commented = False
                continue
            if line.startswith("#"):
                commented = True
                continue
            words = line.split()
            if len(words) != 3 or words[0] not in ("layering", "back-edge"):
                errors.append(f"{path}:{n}: expected 'layering TU SYMBOL' or "
                              f"'back-edge TU TU': {line}")
                continue
            if not commented:
                errors.append(f"{path}:{n}: needs a comment above it saying "
                              "why it is allowed")
            table = layering if words[0] == "layering" else back_edges
            table[(words[1], words[2])] = n
    return layering, back_edges, errors


def describe(edges, path):
    """A cycle (node list, closed implicitly) with the symbols per edge."""
    lines = ["    " + " -> ".join(path + [path[0]])]
    for a, b in zip(path, path[1:] + path[:1]):
        lines.append(f"      {a} -> {b}: " + ", ".join(sorted(edges[a][b])))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--allow", required=True, help="allowed cycles file")
    ap.add_argument("--layer", nargs="+", action="append", required=True,
                    metavar=("NAME", "OBJ"), help="a layer and its objects")
    args = ap.parse_args()

    tus = {}       # TU -> (layer, defined, undefined)
    for name, *objs in args.layer:
        if name not in ALLOWED:
            sys.exit(f"check-layers: unknown layer {name}")
        if not objs:
            sys.exit(f"check-layers: layer {name} has no objects")
        for obj in objs:
            tus[tu_name(name, obj)] = (name,) + read_symbols(args.nm, obj)

    definers = {}  # symbol -> set of TUs defining it
    for tu, (_, defined, _) in tus.items():
        for sym in defined:
            definers.setdefault(sym, set()).add(tu)

    # edges[A][B] = the symbols A uses from B
    edges = {tu: {} for tu in tus}
    for tu, (_, _, undefined) in tus.items():
        for sym in undefined:
            for d in definers.get(sym, ()):
                if d != tu:
                    edges[tu].setdefault(d, set()).add(sym)

    allow_layering, allow_back, errors = read_allow_list(args.allow)
    failed = bool(errors)
    for e in errors:
        print(e)

    # (a) layering
    used_layering = set()
    for tu in sorted(tus):
        layer = tus[tu][0]
        for dep in sorted(edges[tu]):
            dep_layer = tus[dep][0]
            if dep_layer == layer or dep_layer in ALLOWED[layer]:
                continue
            for sym in sorted(edges[tu][dep]):
                if (tu, sym) in allow_layering:
                    used_layering.add((tu, sym))
                    print(f"layering (allowed): {tu} ({layer}) uses {sym} "
                          f"from {dep} ({dep_layer})")
                else:
                    failed = True
                    print(f"layering: {tu} ({layer}) uses {sym} from {dep} "
                          f"({dep_layer}), which {layer}/ may not use")
    for key, n in sorted(allow_layering.items(), key=lambda kv: kv[1]):
        if key not in used_layering:
            failed = True
            print(f"{args.allow}:{n}: {key[0]} no longer uses {key[1]} across "
                  "layers: remove the entry")

    # (b) cycles. Without the allowed back edges the graph must be acyclic;
    # each back edge A -> B must close a cycle B .. A of that forward graph
    # (else it is not needed), shown as the shortest such cycle.
    graph = {tu: set(edges[tu]) for tu in tus}
    rest = {tu: {d for d in graph[tu] if (tu, d) not in allow_back}
            for tu in graph}
    for (a, b), n in sorted(allow_back.items(), key=lambda kv: kv[1]):
        if b not in graph.get(a, ()):
            failed = True
            print(f"{args.allow}:{n}: {a} no longer uses {b}: remove the entry")
            continue
        back = shortest_path(rest, b, a) if b in rest else None
        if back is None:
            failed = True
            print(f"{args.allow}:{n}: {a} -> {b} closes no cycle without the "
                  "other back edges: remove the entry")
            continue
        print(f"cycle (allowed back edge {a} -> {b}):")
        print(describe(edges, back))
    new = elementary_cycles(rest, MAX_CYCLES)
    for cycle in new:
        failed = True
        print("cycle (NEW, break it or allow one of its edges as a back edge):")
        print(describe(edges, list(cycle)))
    if len(new) >= MAX_CYCLES:
        print(f"(stopped after {MAX_CYCLES} cycles)")

    if failed:
        print("check-layers: FAILED")
        return 1
    print(f"check-layers: {len(tus)} TUs; layering and cycles as allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
