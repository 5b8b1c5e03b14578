# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A `tmcc -shared` library dlopen'ed by a C program built without
# tracemalloc: it loads (its runtime comes with it), and TRACEMALLOC /
# TRACEMALLOC_DUMP trace its allocations with their lines.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
cat > host.c <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  void *h = dlopen("./libdemo.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return 1;
  }
  void (*keep)(void) = (void (*)(void))dlsym(h, "demo_keep");
  keep();
  puts("ok");
  return 0;
}
C
"$TM_C_COMPILER" -O1 -o host host.c -ldl
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=h.tmd ./host 2>err.txt) ||
  fail "host failed: $(cat err.txt)"
expect_eq "host ran" ok "$out"
expect_eq "no stderr" "" "$(cat err.txt)"
check_demo_dump dlopen h.tmd
