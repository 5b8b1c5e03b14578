#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# clang-tidy (the checks of .clang-tidy) over the product's C sources,
# runtime/ and tools/, as compiled in BUILD_DIR (its compile_commands.json).
#
#   scripts/check-tidy.sh BUILD_DIR [CLANG_TIDY]
#
# Exit 0 clean, 1 findings, 77 when clang-tidy or the compilation database
# is missing (ctest lint.tidy is then skipped, and says why).
set -euo pipefail
build=${1:?usage: check-tidy.sh BUILD_DIR [CLANG_TIDY]}
tidy=${2:-clang-tidy-19}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v "$tidy" >/dev/null ||
  { echo "SKIP: $tidy is not installed (scripts/install-deps.sh)"; exit 77; }
db=$build/compile_commands.json
[[ -f $db ]] ||
  { echo "SKIP: no $db (configure with CMAKE_EXPORT_COMPILE_COMMANDS=ON)"; exit 77; }
# The product's own translation units, each once. The database lists some
# files several times (the sanitizer runtimes, the fuzzers), and clang-tidy
# checks every entry of a file it is given: five times the work for the
# hooks. So it reads a database of its own with one entry per file, the
# product build's (no -fsanitize) where there is one.
tmpdb=$(mktemp -d)
trap 'rm -rf "$tmpdb"' EXIT
mapfile -t files < <(python3 - "$db" "$root" "$tmpdb" <<'PY'
import json, os, sys
db, root, out = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3]
chosen = {}
for e in json.load(open(db)):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    rel = os.path.relpath(f, root)
    if rel.split(os.sep)[0] not in ("runtime", "tools") or not f.endswith(".c"):
        continue
    cmd = e.get("command") or " ".join(e.get("arguments", []))
    plain = "-fsanitize" not in cmd
    if f not in chosen or (plain and not chosen[f][0]):
        chosen[f] = (plain, e)
json.dump([e for _, e in chosen.values()], open(os.path.join(out, "compile_commands.json"), "w"))
print("\n".join(sorted(chosen)))
PY
)
[[ ${#files[@]} -gt 0 ]] || { echo "check-tidy: no runtime/tools sources in $db" >&2; exit 1; }
echo "check-tidy: $tidy on ${#files[@]} files"
# Two at a time: the check is CPU-bound and ctest may run others beside it.
printf '%s\0' "${files[@]}" |
  xargs -0 -P2 -n4 "$tidy" -p "$tmpdb" --quiet --config-file="$root/.clang-tidy"
echo "check-tidy: clean"
