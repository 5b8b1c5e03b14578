#!/usr/bin/env bash
# run.sh - run the CLI golden tests (test/tool/*.test) without lit.
#
#   run.sh TRACEMALLOC_BINARY [TEST.test ...]
#
# The .test files are lit tests (RUN: lines with %tracemalloc, %s, %S, %t and
# FileCheck checks); lit runs them as part of the lit suite when the LLVM
# tools are there. This driver interprets the same RUN: lines with bash, so
# the CLI goldens also run in a build without the pass or lit (ctest
# `tool.golden`). It supports what the tests use: line continuation with
# '\', the substitutions %tracemalloc %python %s %S %t %{pathsep}-free paths,
# lit's `not`, and FileCheck (found as FileCheck, FileCheck-NN or in
# /usr/lib/llvm-*/bin; exit 77 = skipped when there is none).
set -u
tool=${1:?usage: run.sh TRACEMALLOC_BINARY [TEST.test ...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
tool=$(cd "$(dirname "$tool")" && pwd)/$(basename "$tool")
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=("$here"/*.test)

filecheck=${FILECHECK:-}
if [ -z "$filecheck" ]; then
  for c in FileCheck FileCheck-19 FileCheck-18 FileCheck-17 FileCheck-16 \
           FileCheck-15 FileCheck-14 /usr/lib/llvm-*/bin/FileCheck; do
    if command -v "$c" >/dev/null 2>&1; then filecheck=$(command -v "$c"); break; fi
  done
fi
if [ -z "$filecheck" ]; then
  echo "run.sh: FileCheck not found; skipping the CLI golden tests" >&2
  exit 77
fi
python=$(command -v python3 || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/tm-tool-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The RUN: commands of one test, continuation lines joined, one per line.
run_lines() {
  sed -n 's/^.*RUN:[[:space:]]*//p' "$1" | awk '
    { line = pending $0; if (line ~ /\\$/) { sub(/\\$/, "", line); pending = line " "; next }
      print line; pending = "" }'
}

pass=0 fail=0
for t in "${tests[@]}"; do
  t=$(cd "$(dirname "$t")" && pwd)/$(basename "$t")
  name=$(basename "$t" .test)
  tmp="$work/$name.tmp"
  ok=1
  while IFS= read -r cmd; do
    cmd=${cmd//%tracemalloc/\"$tool\"}
    cmd=${cmd//%python/\"$python\"}
    cmd=${cmd//%S/\"$(dirname "$t")\"}
    cmd=${cmd//%s/\"$t\"}
    cmd=${cmd//%t/$tmp}
    if ! (
      set -o pipefail
      # shellcheck disable=SC2317 # called by the eval'd RUN: line
      not() { if "$@"; then return 1; else return 0; fi; }
      # shellcheck disable=SC2317
      FileCheck() { "$filecheck" "$@"; }
      cd "$work" && eval "$cmd"
    ) >"$work/out" 2>&1; then
      echo "FAIL: $name"
      echo "  command: $cmd"
      sed 's/^/  | /' "$work/out" | head -40
      ok=0
      break
    fi
  done < <(run_lines "$t")
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "tool golden tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
