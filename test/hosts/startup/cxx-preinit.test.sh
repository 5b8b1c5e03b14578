# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Tracing starts before any shared library's constructor: an empty C++
# program built with tmc++ and run with TRACEMALLOC=1 holds, in its exit
# dump, the blocks libstdc++'s constructors allocated (its exception
# emergency pool), block for block the same as an LD_PRELOAD shim counts
# in the same program built without tracemalloc.
source "$TM_HOSTS/lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is missing (scripts/install-deps.sh installs python3)"
CXX_PLAIN=${TM_C_COMPILER/clang/clang++}
command -v "$CXX_PLAIN" >/dev/null || fail "no $CXX_PLAIN"

printf 'int main() {}\n' >empty.cpp
"$TMCXX" -O1 -o empty-tm empty.cpp
"$CXX_PLAIN" -O1 -o empty-plain empty.cpp

# The counting shim: its own malloc family on top of glibc's __libc_*
# entry points; a table of the live blocks; their sizes, sorted, printed
# by its destructor (after the program's exit handlers), one per line.
cat > shim.c <<'C'
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t),
    *__libc_realloc(void *, size_t), *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);
enum { MAX = 65536 };
static struct { void *p; size_t n; } live[MAX];
static size_t nlive, lost;
static void add(void *p, size_t n) {
  if (!p) return;
  if (nlive < MAX) { live[nlive].p = p; live[nlive].n = n; nlive++; }
  else lost++;
}
static void del(void *p) {
  if (!p) return;
  for (size_t i = nlive; i-- > 0;)
    if (live[i].p == p) { live[i] = live[--nlive]; return; }
}
void *malloc(size_t n) { void *p = __libc_malloc(n); add(p, n); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); add(p, a * b); return p; }
void free(void *p) { del(p); __libc_free(p); }
void *realloc(void *o, size_t n) {
  void *p = __libc_realloc(o, n);
  if (p || n == 0) del(o);
  if (p) add(p, n);
  return p;
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); add(p, n); return p; }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **r, size_t a, size_t n) {
  void *p = __libc_memalign(a, n);
  if (!p) return ENOMEM;
  add(p, n); *r = p; return 0;
}
static int cmp(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}
__attribute__((destructor)) static void report(void) {
  static size_t sizes[MAX];
  for (size_t i = 0; i < nlive; i++) sizes[i] = live[i].n;
  qsort(sizes, nlive, sizeof *sizes, cmp);
  char buf[32];
  for (size_t i = 0; i < nlive; i++) {
    int k = snprintf(buf, sizeof buf, "%zu\n", sizes[i]);
    if (write(2, buf, (size_t)k) != k) return;
  }
  if (lost) { if (write(2, "lost\n", 5) != 5) return; }
}
C
"$TM_C_COMPILER" -shared -fPIC -O1 -o shim.so shim.c
shim=$(LD_PRELOAD=$PWD/shim.so ./empty-plain 2>&1)
[[ -n $shim ]] || fail "the shim counted no live block at exit"
expect_no_match "shim table large enough" lost "$shim"

TRACEMALLOC=1 TRACEMALLOC_DUMP=empty.json ./empty-tm
traced=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("\n".join(str(t["size"]) for t in sorted(d["traces"], key=lambda t: t["size"])))
' empty.json)
expect_eq "exit dump = shim, block for block (sizes)" "$shim" "$traced"
# libstdc++'s emergency pool, allocated by its constructor (72,704 bytes
# on Debian 12) is one of them.
expect_match "libstdc++'s emergency pool" '^72704$' "$traced"
