# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# LD_PRELOAD=libtracemalloc.so with a `tmcc -shared` library: in a program
# built without tracemalloc the preloaded runtime is the library's own (one
# copy, and malloc interposition traces the program too); in a tmcc program
# the program's runtime traces and the preloaded copy stays dormant.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
# write(), not stdio: stdout's buffer would be one more untraced-line block.
cat > host.c <<'C'
#include <stdlib.h>
#include <unistd.h>
void demo_keep(void);
void *volatile mine;
int main(void) {
  mine = malloc(4000);
  demo_keep();
  if (write(1, "ok", 2) != 2) return 1;
  return 0;
}
C
"$TM_C_COMPILER" -O1 -o plain host.c -L. -ldemo -Wl,-rpath,"$PWD"
"$TMCC" -O1 -o instrumented host.c -L. -ldemo -Wl,-rpath,"$PWD"
for prog in plain instrumented; do
  out=$(LD_PRELOAD=$TM_LIBDIR/libtracemalloc.so TRACEMALLOC=1 \
    TRACEMALLOC_DUMP=$prog.tmd ./$prog 2>err.txt) ||
    fail "$prog failed: $(cat err.txt)"
  expect_eq "$prog ran" ok "$out"
  expect_eq "$prog: no stderr" "" "$(cat err.txt)"
  check_demo_dump "$prog" $prog.tmd
done
# The plain program's malloc is interposed, attributed to <unknown> (no
# instrumented caller); the tmcc program's has its line.
expect_match "plain: program block, no line" "^<unknown>:0: size=4000 B, count=1," \
  "$("$TM_CLI" stats plain.tmd)"
expect_match "instrumented: program block at its line" \
  "/host\.c:6: size=4000 B, count=1," "$("$TM_CLI" stats instrumented.tmd)"
