# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A C program built without tracemalloc and linked against a `tmcc -shared`
# library (DT_NEEDED): TRACEMALLOC traces the library's allocations.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
cat > host.c <<'C'
#include <stdio.h>
void demo_keep(void);
int main(void) {
  demo_keep();
  puts("ok");
  return 0;
}
C
"$TM_C_COMPILER" -O1 -o host host.c -L. -ldemo -Wl,-rpath,"$PWD"
out=$(TRACEMALLOC=3 TRACEMALLOC_DUMP=h.tmd ./host 2>err.txt) ||
  fail "host failed: $(cat err.txt)"
expect_eq "host ran" ok "$out"
expect_eq "no stderr" "" "$(cat err.txt)"
check_demo_dump linked h.tmd
