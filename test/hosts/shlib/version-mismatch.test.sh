# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Two runtime versions in one process: libdemo.so (this runtime, via
# libtracemalloc.so.0) and libother.so built against a runtime of another
# version (1.0.0, libtracemalloc.so.1, compiled here from the same sources
# with another version number). Whichever runtime starts first traces; the
# other stays dormant and says so in ONE line on stderr; nothing crashes.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is missing (scripts/install-deps.sh installs python3)"

mkdir -p v1/include
cp "$TM_INCDIR"/* v1/include/
sed -i 's/^#define TM_VERSION_MAJOR 0$/#define TM_VERSION_MAJOR 1/;
        s/^#define TM_VERSION_MINOR 1$/#define TM_VERSION_MINOR 0/' \
  v1/include/tracemalloc.h
grep -q '^#define TM_VERSION_MAJOR 1$' v1/include/tracemalloc.h ||
  fail "could not change the version in tracemalloc.h"
layers=(support snapshot io core hooks)
srcs=() incs=(-Iv1/include)
for l in "${layers[@]}"; do
  incs+=("-I$TM_SRC/runtime/$l")
  for f in "$TM_SRC/runtime/$l"/*.c; do
    [[ $f == */preinit.c ]] || srcs+=("$f")
  done
done
"$TM_C_COMPILER" -shared -fPIC -O1 -fvisibility=hidden -D_GNU_SOURCE \
  "${incs[@]}" "${srcs[@]}" -Wl,-soname,libtracemalloc.so.1 \
  -o v1/libtracemalloc.so.1 -lpthread -ldl -lm

cat > other.c <<'C'
#include <stdlib.h>
void *volatile other_kept;
void other_keep(void) {
  other_kept = malloc(700);
}
C
TMCC_RUNTIME=none "$TMCC" -shared -fPIC -O1 -o libother.so other.c \
  "$PWD/v1/libtracemalloc.so.1" -Wl,-rpath,"$PWD/v1"
readelf -d libother.so | grep -q 'NEEDED.*libtracemalloc.so.1' ||
  fail "libother.so does not depend on libtracemalloc.so.1"

line_re='^tracemalloc: warning: two runtime versions in one process: '

# 1. Python loads libdemo (0.1.0 starts) then libother (1.0.0 stays
#    dormant; libother's calls go to it and are not traced).
cat > host.py <<'PY'
import ctypes, sys
first, second = sys.argv[1], sys.argv[2]
a = ctypes.CDLL("./" + first)
b = ctypes.CDLL("./" + second)
ctypes.CDLL("./libdemo.so").demo_keep()
ctypes.CDLL("./libother.so").other_keep()
# The dormant copy refuses to start (it would be a second active runtime).
dormant = ctypes.CDLL(sys.argv[3])
dormant.tm_error_message.restype = ctypes.c_char_p
if dormant.tm_start(1) == 0:
    sys.exit("the dormant copy started")
print(dormant.tm_error_message().decode())
print("ok")
PY
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=a.tmd "$PY" host.py libdemo.so libother.so \
  "$PWD/v1/libtracemalloc.so.1" 2>err.txt) ||
  fail "python (demo first) failed: $(cat err.txt)"
expect_eq "demo first: ran, dormant copy refused tm_start" \
  "another tracemalloc runtime is active in this process (this copy is dormant)
ok" "$out"
expect_eq "demo first: one stderr line" 1 "$(wc -l <err.txt)"
expect_match "demo first: the line" \
  "${line_re}0\.1\.0 \(ABI 4\) in .*/libtracemalloc\.so\.0[^;]* traces; 1\.0\.0 \(ABI 4\) in .*/v1/libtracemalloc\.so\.1 stays dormant$" \
  "$(cat err.txt)"
check_demo_dump "demo first" a.tmd
expect_no_match "demo first: libother untraced" "other\.c" "$("$TM_CLI" stats a.tmd)"

# 2. The other order: 1.0.0 starts and traces libother; 0.1.0 is dormant.
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=b.tmd "$PY" host.py libother.so libdemo.so \
  "$TM_LIBDIR/libtracemalloc.so.0" 2>err.txt) ||
  fail "python (other first) failed: $(cat err.txt)"
expect_eq "other first: ran, dormant copy refused tm_start" \
  "another tracemalloc runtime is active in this process (this copy is dormant)
ok" "$out"
expect_eq "other first: one stderr line" 1 "$(wc -l <err.txt)"
expect_match "other first: the line" \
  "${line_re}1\.0\.0 \(ABI 4\) in .*/v1/libtracemalloc\.so\.1 traces; 0\.1\.0 \(ABI 4\) in .*/libtracemalloc\.so\.0[^;]* stays dormant$" \
  "$(cat err.txt)"
stats=$("$TM_CLI" stats b.tmd)
expect_match "other first: libother traced" "/other\.c:4: size=700 B, count=1," "$stats"
expect_no_match "other first: libdemo untraced" "demo\.c" "$stats"

# 3. A tmcc program (0.1.0, static) linked with libother: the program's
#    runtime starts first (.preinit_array), libother's hooks bind to it.
cat > prog.c <<'C'
void other_keep(void);
int main(void) {
  other_keep();
  return 0;
}
C
"$TMCC" -O1 -o prog prog.c -L. -lother -Wl,-rpath,"$PWD"
TRACEMALLOC=1 TRACEMALLOC_DUMP=c.tmd ./prog 2>err.txt || fail "prog failed: $(cat err.txt)"
expect_eq "program: one stderr line" 1 "$(wc -l <err.txt)"
expect_match "program: the line" \
  "${line_re}0\.1\.0 \(ABI 4\) in .*/prog traces; 1\.0\.0 \(ABI 4\) in .*/v1/libtracemalloc\.so\.1 stays dormant$" \
  "$(cat err.txt)"
expect_match "program: libother traced by the program's runtime" \
  "/other\.c:4: size=700 B, count=1," "$("$TM_CLI" stats c.tmd)"
