#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# check-format.sh [--fix]: the product code (runtime/, pass/, include/,
# tools/tracemalloc/) is formatted as .clang-format says, by Debian's
# clang-format-19. Lists each file that is not and fails; --fix formats
# them in place. Exit 77 (ctest's skip) when clang-format-19 is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
cf=${CLANG_FORMAT:-clang-format-19}
if ! command -v "$cf" >/dev/null 2>&1; then
  echo "check-format: $cf is not installed (scripts/install-deps.sh installs it)"
  exit 77
fi
mapfile -t files < <(git ls-files 'runtime/*.c' 'runtime/*.h' 'pass/*.cpp' \
  'pass/*.h' 'include/*.h' 'tools/tracemalloc/*.c' 'tools/tracemalloc/*.h' 2>/dev/null ||
  find runtime pass include tools/tracemalloc -name '*.[ch]' -o -name '*.cpp')
if [[ ${1:-} == --fix ]]; then
  "$cf" -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! "$cf" --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (scripts/check-format.sh --fix)"
    bad=1
  fi
done
[[ $bad == 0 ]] && echo "check-format: ${#files[@]} files formatted"
exit $bad
