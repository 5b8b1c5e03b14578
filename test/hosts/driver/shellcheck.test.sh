# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The generated tmcc/tmc++ (build tree and install copies) are clean POSIX sh
# for shellcheck: they run under whatever /bin/sh the user's build has.
source "$TM_HOSTS/lib.sh"
command -v shellcheck >/dev/null || fail "shellcheck is not installed (scripts/install-deps.sh)"
for w in "$TMCC" "$TMCXX" "$TM_BUILD/tools/wrappers/install/tmcc" "$TM_BUILD/tools/wrappers/install/tmc++"; do
  out=$(shellcheck --shell=sh "$w" 2>&1) || fail "shellcheck $w:
$out"
  echo "ok: shellcheck $w"
done
