# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# An instrumented library is dlclosed while one of its blocks is still live,
# and another instrumented library is then loaded at the very same address.
# Each block must keep the name of the library that allocated it: liba.c:3
# in a_inner for the survivor of liba, libb.c:7 in b_inner for libb's (the
# strings of an unloaded module are gone: the runtime must have copied them), in a snapshot taken right
# after the unload, in one taken after the reload, and in the exit dump;
# with the traceback limit 1 (the exact per-thread cache) and 5 (the hashed
# cache and the interned records), and with the same stack shape repeated so
# that every cache is warm when the address changes owner.
source "$TM_HOSTS/lib.sh"

# liba.c and libb.c compile to the same code and data sizes (same-length
# names, same instructions): only the line numbers differ, so the loader
# puts libb where liba was.
cat >liba.c <<'C'
#include <stdlib.h>
__attribute__((noinline)) static void *a_inner(size_t n) {
  return malloc(n);
}
void *lib_alloc(size_t n) { return a_inner(n); }
C
cat >libb.c <<'C'
#include <stdlib.h>


__attribute__((noinline)) static void *b_inner(size_t n) {


  return malloc(n);
}
void *lib_alloc(size_t n) { return b_inner(n); }
C
cat >host.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tracemalloc.h"

typedef void *(*alloc_fn)(size_t);

/* Load lib, return its lib_alloc and (in *base) the load address. */
static alloc_fn load(const char *lib, void **handle, void **base) {
  *handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
  if (!*handle) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    exit(2);
  }
  alloc_fn f = (alloc_fn)dlsym(*handle, "lib_alloc");
  Dl_info info;
  if (!f || !dladdr((void *)f, &info)) {
    fprintf(stderr, "lib_alloc not found in %s\n", lib);
    exit(2);
  }
  *base = info.dli_fbase;
  return f;
}

/* Where the live block p was allocated, as the runtime says now. */
static void where(const char *what, void *p) {
  tm_traceback_t *tb = NULL;
  if (tm_get_object_traceback(p, &tb) != TM_OK || !tb) {
    printf("%s: no traceback\n", what);
    return;
  }
  const tm_frame_t *f = tm_traceback_frames(tb);
  printf("%s: %s:%u in %s\n", what, f[0].filename, (unsigned)f[0].lineno,
         f[0].function ? f[0].function : "?");
  tm_traceback_free(tb);
}

static void dump(const char *path) {
  tm_snapshot_t *s = NULL;
  if (tm_take_snapshot(&s) != TM_OK || tm_snapshot_dump(s, path) != TM_OK) {
    fprintf(stderr, "snapshot %s: %s\n", path, tm_error_message());
    exit(2);
  }
  tm_snapshot_free(s);
}

int main(int argc, char **argv) {
  void *ha, *hb, *base_a, *base_b;
  alloc_fn a = load(argv[1], &ha, &base_a);
  void *keep_a = NULL;
  for (int i = 0; i < 100; i++) { // warm every cache with this stack
    void *p = a(1111);
    if (keep_a)
      free(keep_a);
    keep_a = p;
  }
  dlclose(ha);
  if (dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD)) {
    fprintf(stderr, "liba.so was not unloaded\n");
    return 2;
  }
  where("after unload, liba block", keep_a);
  dump("after-unload.tmd");
  alloc_fn b = load(argv[2], &hb, &base_b);
  printf("same address: %s\n", base_a == base_b ? "yes" : "no");
  void *keep_b = NULL;
  for (int i = 0; i < 100; i++) { // the same stack shape as liba's
    void *p = b(2222);
    if (keep_b)
      free(keep_b);
    keep_b = p;
  }
  where("after reload, liba block", keep_a);
  where("after reload, libb block", keep_b);
  dump("after-reload.tmd");
  return 0;
}
C

"$TMCC" -O1 -fPIC -shared liba.c -o liba.so
"$TMCC" -O1 -fPIC -shared libb.c -o libb.so
"$TMCC" -O1 -I"$TM_INCDIR" host.c -o host -ldl

for limit in 1 5; do
  echo "== TRACEMALLOC=$limit"
  rm -f ./*.tmd
  out=$(TRACEMALLOC=$limit TRACEMALLOC_DUMP=exit.tmd ./host ./liba.so ./libb.so)
  echo "$out"
  if grep -q "same address: no" <<<"$out"; then
    skip "the loader did not reuse liba.so's address for libb.so"
  fi
  expect_match "libb.so loaded where liba.so was" "same address: yes" "$out"
  expect_match "in process, after unload" \
    "after unload, liba block: (.*/)?liba\.c:3 in a_inner$" "$out"
  expect_match "in process, liba block after reload" \
    "after reload, liba block: (.*/)?liba\.c:3 in a_inner$" "$out"
  expect_match "in process, libb block after reload" \
    "after reload, libb block: (.*/)?libb\.c:7 in b_inner$" "$out"
  for d in after-unload after-reload exit; do
    stats=$("$TM_CLI" stats --key lineno "$d.tmd")
    echo "$stats"
    expect_match "$d.tmd: liba's live block" \
      "liba\.c:3: size=1111 B, count=1" "$stats"
    expect_no_match "$d.tmd: no liba frame for libb's blocks" \
      "liba\.c:3: size=(2222|3333)" "$stats"
  done
  for d in after-reload exit; do
    stats=$("$TM_CLI" stats --key lineno "$d.tmd")
    expect_match "$d.tmd: libb's live block" \
      "libb\.c:7: size=2222 B, count=1" "$stats"
  done
done
