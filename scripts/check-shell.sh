#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Runs shellcheck over the project's shell scripts (.shellcheckrc: bash, and
# `source`d files followed) and over the generated tmcc/tmc++, which are
# POSIX sh (build tree and install copies in BUILD_DIR).
#
#   scripts/check-shell.sh [BUILD_DIR]
#
# Exit 0 clean, 1 findings, 77 when shellcheck is missing (ctest lint.shell
# is then skipped, and says why).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-}
command -v shellcheck >/dev/null ||
  { echo "SKIP: shellcheck is not installed (scripts/install-deps.sh)"; exit 77; }
# From the root: .shellcheckrc's source-path=test/hosts is relative to it.
cd "$root"
shopt -s globstar nullglob
scripts=(scripts/*.sh bench/*.sh bench/*/*.sh test/**/*.sh)
rc=0
shellcheck --external-sources "${scripts[@]}" || rc=1
echo "check-shell: ${#scripts[@]} scripts"
if [[ -n $build ]]; then
  wrappers=("$build/bin/tmcc" "$build/bin/tmc++"
            "$build/tools/wrappers/install/tmcc" "$build/tools/wrappers/install/tmc++")
  for w in "${wrappers[@]}"; do
    [[ -f $w ]] || { echo "check-shell: $w is missing (build first)" >&2; rc=1; continue; }
    shellcheck --shell=sh "$w" || rc=1
  done
  echo "check-shell: ${#wrappers[@]} wrappers"
fi
[[ $rc -eq 0 ]] && echo "check-shell: clean"
exit "$rc"
