#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Install what building and testing tracemalloc needs on Debian 12 (bookworm).
#
#   scripts/install-deps.sh             the default toolchain (LLVM 19)
#   scripts/install-deps.sh --all-llvm  also LLVM 14, 15, 16 and 22 (the pass
#                                       is tested against each of them)
#   scripts/install-deps.sh --bench     also what bench/real/whole.sh compares
#                                       against and measures with: heaptrack,
#                                       GNU time (peak RSS)
# The flags combine.
#
# Needs root (apt-get). Idempotent: packages already installed are skipped.
set -euo pipefail

versions=(19)
bench=0
for arg in "$@"; do
  case $arg in
    --all-llvm) versions=(19 14 15 16 22) ;;
    --bench) bench=1 ;;
    *)
      echo "usage: $0 [--all-llvm] [--bench]" >&2
      exit 2
      ;;
  esac
done

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

# tcl: SQLite's source tree needs tclsh to build (test/real).
# libjemalloc-dev, libgoogle-perftools-dev: the allocator host tests
# (test/hosts/allocators) link and preload jemalloc and tcmalloc.
# python3-dev, python3-setuptools: test/hosts/python builds a CPython extension.
# autoconf automake meson pkg-config shellcheck: the build-system host tests
# (test/hosts/build, test/package) and the tmcc lint (test/hosts/driver).
# clang-tidy-19, clang-format-19 and shellcheck: the static checks (ctest -L lint, test/lint).
# chromium: test/tool/flamegraph_browser.py clicks through the flame graph in
# headless Chromium (ctest tool.flamegraph_browser).
# golang-go: `go tool pprof` reads our pprof export in tool.pprof-go
# (test-only; the test is skipped without it).
pkgs=(build-essential cmake ninja-build python3 python3-dev python3-setuptools git
  ca-certificates valgrind tcl libjemalloc-dev libgoogle-perftools-dev
  autoconf automake meson pkg-config shellcheck clang-tidy-19
  clang-format-19 chromium golang-go)
# heaptrack and time: bench/real/whole.sh's heaptrack column and peak RSS.
# (ASan and MemProf come with libclang-rt-19-dev.)
[[ $bench == 1 ]] && pkgs+=(heaptrack time)
for v in "${versions[@]}"; do
  pkgs+=("llvm-$v-dev" "clang-$v" "llvm-$v-tools" "lld-$v")
  # Debian 12 has no libclang-rt-15-dev (no sanitizer/libFuzzer runtime for
  # 15); the suite only uses sanitizers with the default LLVM.
  [[ $v != 15 ]] && pkgs+=("libclang-rt-$v-dev")
  # libc++: test/e2e/system-frames-libcxx.cpp (skipped where it is missing).
  [[ $v == 19 ]] && pkgs+=("libc++-$v-dev" "libc++abi-$v-dev")
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: everything is already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
