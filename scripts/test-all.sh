#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Every test, on a fresh Debian 12 machine: installs what is needed (all the
# LLVM versions the pass supports), then
#   1. the main build (LLVM 19): unit, lit (pass IR, end-to-end, CLI golden),
#      differential vs python3, fuzz smoke runs, package, real programs;
#   2. the runtime, CLI and unit tests under ASan+UBSan;
#   3. the same under TSan;
#   4. the unit tests against a TM_DEBUG runtime (invariant checks on);
#   5. the pass and the lit suite against LLVM 14, 15, 16 and 22.
# Prints each ctest summary and a total line; exits non-zero on any failure.
#
#   bash scripts/test-all.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$PWD

scripts/install-deps.sh --all-llvm || exit 1

total_pass=0
total_fail=0
failed_stages=()

# run_ctest STAGE BUILD_DIR [ctest args...]: run ctest, add its counts.
run_ctest() {
  local stage=$1 dir=$2
  shift 2
  local log="$dir/ctest-$stage.log"
  ctest --test-dir "$dir" --output-on-failure --timeout 1500 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  local failed=0 count=0
  if [[ -n $line ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    count=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$line")
  fi
  total_pass=$((total_pass + count - failed))
  total_fail=$((total_fail + failed))
  if [[ $rc -ne 0 || -z $line ]]; then
    failed_stages+=("$stage")
    [[ -z $line ]] && total_fail=$((total_fail + 1))
  fi
}

# configure_build STAGE BUILD_DIR [cmake args...]
configure_build() {
  local stage=$1 dir=$2
  shift 2
  if ! cmake -S "$root" -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 ||
     ! cmake --build "$dir" >"$dir.build.log" 2>&1; then
    echo "== $stage: BUILD FAILED"
    tail -40 "$dir.configure.log" "$dir.build.log" 2>/dev/null
    failed_stages+=("$stage-build")
    total_fail=$((total_fail + 1))
    return 1
  fi
}

mkdir -p build
L19=(-DLLVM_DIR="$(llvm-config-19 --cmakedir)" -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19)

echo "== 1. main build (LLVM 19): every test"
configure_build main build/ci "${L19[@]}" && run_ctest main build/ci

echo "== 2. ASan+UBSan: runtime, CLI, unit tests"
configure_build asan build/asan "${L19[@]}" -DTM_SANITIZE=address -DTM_BUILD_PASS=OFF &&
  run_ctest asan build/asan -L 'unit|tool|fuzz-smoke'

echo "== 3. TSan: runtime, unit tests"
configure_build tsan build/tsan "${L19[@]}" -DTM_SANITIZE=thread -DTM_BUILD_PASS=OFF &&
  run_ctest tsan build/tsan -L unit

echo "== 4. TM_DEBUG (TM_ASSERT, lock-holder checks): unit tests"
configure_build debug build/debug "${L19[@]}" -DTM_DEBUG=ON -DCMAKE_BUILD_TYPE=Debug \
  -DTM_BUILD_PASS=OFF -DTM_SANITIZER_RUNTIMES=OFF &&
  run_ctest debug build/debug -L unit

for v in 14 15 16 22; do
  echo "== 5. the pass against LLVM $v: lit suite"
  configure_build "llvm$v" "build/llvm$v" -DLLVM_DIR="$(llvm-config-$v --cmakedir)" \
    -DCMAKE_C_COMPILER=clang-$v -DCMAKE_CXX_COMPILER=clang++-$v &&
    run_ctest "llvm$v" "build/llvm$v" -L lit
done

echo
if [[ ${#failed_stages[@]} -gt 0 ]]; then
  echo "FAILED stages: ${failed_stages[*]}"
fi
echo "total: $total_pass passed, $total_fail failed"
[[ $total_fail -eq 0 && ${#failed_stages[@]} -eq 0 ]]
