# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A `tmcc -shared` library in a program built with tmcc (static runtime,
# which exports the hooks), both linked against it and dlopen'ing it: the
# library's libtracemalloc.so stays dormant, the program's runtime traces
# the program's and the library's allocations, each exactly once, with
# their lines. An uninstrumented library's constructor, which runs before
# any constructor of the program or of libdemo, is traced too (through
# malloc interposition, no line: <unknown>).
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
cat > linked.c <<'C'
#include <stdio.h>
#include <stdlib.h>
void demo_keep(void);
void *volatile mine;
int main(void) {
  mine = malloc(4000);
  demo_keep();
  puts("ok");
  return 0;
}
C
cat > opened.c <<'C'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
void *volatile mine;
int main(void) {
  mine = malloc(4000);
  void *h = dlopen("./libdemo.so", RTLD_NOW);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  ((void (*)(void))dlsym(h, "demo_keep"))();
  puts("ok");
  return 0;
}
C
cat > plain.c <<'C'
#include <stdlib.h>
void *volatile plain_boot;
__attribute__((constructor)) static void plain_init(void) {
  plain_boot = malloc(300);
}
C
"$TM_C_COMPILER" -shared -fPIC -O1 -o libplain.so plain.c
# libplain after libdemo: the loader initialises it first.
"$TMCC" -O1 -o linked linked.c -L. -ldemo -lplain -Wl,-rpath,"$PWD"
"$TMCC" -O1 -o opened opened.c -ldl
for prog in linked opened; do
  out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=$prog.tmd ./$prog 2>err.txt) ||
    fail "$prog failed: $(cat err.txt)"
  expect_eq "$prog ran" ok "$out"
  expect_eq "$prog: no stderr" "" "$(cat err.txt)"
  check_demo_dump "$prog" $prog.tmd
  expect_match "$prog: the program's own block" \
    "/$prog\.c:6: size=4000 B, count=1," "$("$TM_CLI" stats $prog.tmd)"
done
expect_match "linked: the uninstrumented constructor's block" \
  "^<unknown>:0: size=300 B, count=1," "$("$TM_CLI" stats linked.tmd)"
