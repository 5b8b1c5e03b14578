# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# An allocator that comes only from a static library (-lbump), whose other
# symbols the program never names: the program's malloc calls are all that
# pull the library's member out of the archive. tmcc rewrites those calls to
# __tm_malloc, so the objects must still reference malloc, or the runtime's
# weak malloc would silently take the allocator's place. The library counts
# its calls and prints the count at exit: the tmcc build, tracing off and
# on, must print what the plain clang build prints.
source "$TM_HOSTS/lib.sh"
cat > bump.c <<'C'
#include <stddef.h>
#include <string.h>
#include <unistd.h>
/* A bump allocator: 8 MiB, never reused, a size header per block. */
static _Alignas(16) unsigned char heap[8 << 20];
static size_t used;
static long calls;
void *malloc(size_t n) {
  size_t need = (n + 31) & ~(size_t)15;
  if (used + need > sizeof heap) return NULL;
  unsigned char *p = heap + used + 16;
  memcpy(p - 16, &n, sizeof n);
  used += need;
  calls++;
  return p;
}
void free(void *p) { (void)p; }
void *calloc(size_t a, size_t b) {
  void *p = malloc(a * b);
  if (p) memset(p, 0, a * b);
  return p;
}
void *realloc(void *p, size_t n) {
  void *q = malloc(n);
  if (q && p) {
    size_t old;
    memcpy(&old, (unsigned char *)p - 16, sizeof old);
    memcpy(q, p, old < n ? old : n);
  }
  return q;
}
__attribute__((destructor)) static void report(void) {
  char line[64];
  int len = 0;
  const char *pre = "[bump] mallocs=";
  while (pre[len]) { line[len] = pre[len]; len++; }
  char digits[24];
  int d = 0;
  long c = calls;
  do { digits[d++] = (char)('0' + c % 10); c /= 10; } while (c);
  while (d) line[len++] = digits[--d];
  line[len++] = '\n';
  if (write(2, line, (size_t)len) < 0) _exit(9);
}
C
cat > app.c <<'C'
#include <stdlib.h>
#include <string.h>
int main(void) {
  char *keep[100];
  for (int i = 0; i < 100; i++) {
    keep[i] = malloc(32 + i);
    memset(keep[i], 'x', 32);
  }
  free(keep[99]); /* reaches the library's free; untraced */
  return keep[7][0] == 'x' ? 0 : 1;
}
C
"$TM_C_COMPILER" -O2 -c bump.c -o bump.o
ar rcs libbump.a bump.o
"$TM_C_COMPILER" -O2 app.c -L. -lbump -o plain
"$TMCC" -O2 app.c -L. -lbump -o traced
want=$(./plain 2>&1 >/dev/null)
expect_match "plain build uses the library's allocator" '^\[bump\] mallocs=[1-9]' "$want"
expect_eq "tmcc build, tracing off: the library's allocator" "$want" \
  "$(./traced 2>&1 >/dev/null)"
expect_eq "tmcc build, tracing on: the library's allocator" "$want" \
  "$(TRACEMALLOC=1 TRACEMALLOC_DUMP=app.tmd ./traced 2>&1 >/dev/null)"
expect_match "the instrumented calls are traced" \
  '/app\.c:6: size=[0-9]+ B, count=99,' "$("$TM_CLI" stats app.tmd)"
