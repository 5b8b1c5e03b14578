# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc as CC of a plain Makefile: objects compiled one by one with dependency
# files, a static library made with ar, a program linked from them, and a
# generated program compiled from a pipe (-x c -).
source "$TM_HOSTS/lib.sh"
cat >Makefile <<'EOF'
CFLAGS = -O0 -MMD -MP
all: probe gen
probe: probe.o libpool.a
	$(CC) $(CFLAGS) -o $@ probe.o -L. -lpool
gen: gen.sh
	sh gen.sh | $(CC) -x c - -o $@
libpool.a: pool.o
	$(AR) rcs $@ $^
-include probe.d pool.d
EOF
cat >pool.c <<'EOF'
#include <stdlib.h>
void *pool_make(void);
void *pool_make(void) {
  return calloc(10, 50);
}
EOF
cat >gen.sh <<'EOF'
printf '#include <stdlib.h>\nvoid *keep;\nint main(void) {\n  keep = malloc(321);\n  return 0;\n}\n'
EOF
cat >probe.c <<'EOF'
void *pool_make(void);
void *keep;
int main(void) {
  keep = pool_make();
  return 0;
}
EOF
make CC="$TMCC" >make.out 2>&1 || fail "make failed: $(cat make.out)"
expect_match "dependency file written" '^probe\.o: probe\.c' "$(cat probe.d)"
TRACEMALLOC=5 TRACEMALLOC_DUMP=probe.tmd ./probe
expect_eq "traced line" "pool.c:4: size=500 B, count=1, average=500 B" \
  "$("$TM_CLI" stats probe.tmd | sed 's|^.*/||')"
TRACEMALLOC=5 TRACEMALLOC_DUMP=gen.tmd ./gen
expect_eq "traced line (generated program)" "<stdin>:4: size=321 B, count=1, average=321 B" \
  "$("$TM_CLI" stats gen.tmd | sed 's|^.*/||')"
