#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The CLI (tools/tracemalloc) is a client of the runtime's analysis half, not
# a part of it: besides its own headers and the system's, it may include
# the public header (include/tracemalloc.h), the analysis layer's header
# (runtime/snapshot/snapshot.h: building snapshots, glob matching), the io
# layer's header for the
# CLI (runtime/io/snapshot_io.h), the one UTF-8 decoder
# (runtime/support/utf8.h) and the one pointer map (runtime/support/ptr_map.h).
# Any other runtime header would let it depend on
# internals that change without notice. Run by ctest as lint.cli-includes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$root/tools/tracemalloc
allowed="tracemalloc.h snapshot.h snapshot_io.h utf8.h ptr_map.h"
status=0
for f in "$cli"/*.c "$cli"/*.h; do
  while IFS=: read -r line header; do
    header=${header#*\"}
    header=${header%%\"*}
    [[ -e $cli/$header ]] && continue # the CLI's own header
    case " $allowed " in
    *" $header "*) continue ;;
    esac
    echo "${f#"$root"/}:$line: includes \"$header\"; the CLI may include" \
      "only its own headers and $allowed" >&2
    status=1
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done
[[ $status == 0 ]] && echo "check-cli-includes: clean"
exit $status
