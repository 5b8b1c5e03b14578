# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# jemalloc linked (-ljemalloc) and preloaded (LD_PRELOAD): jemalloc makes
# and frees every block (checked with its arenas.lookup, which fails or
# crashes on a foreign pointer), instrumented allocations are traced, and so
# are libc's when our malloc is the one in effect (static runtime: the
# program's own definition comes first and forwards to jemalloc). With the
# shared runtime after -ljemalloc, jemalloc's malloc is in effect: libc's
# blocks are still jemalloc's, but not traced.
source "$TM_HOSTS/lib.sh"
JE=$(compgen -G '/usr/lib/*/libjemalloc.so.2' | head -1 || true)
[[ -n $JE && -e /usr/include/jemalloc/jemalloc.h ]] ||
  fail "jemalloc is not installed (Debian: libjemalloc-dev; scripts/install-deps.sh)"
cat > owns.h <<'C'
/* jemalloc's: arenas.lookup finds the arena of a block it made. Looked up
 * with dlsym so that the same program works linked or preloaded. */
#include <dlfcn.h>
static int OWNS(void *p) {
  int (*ctl)(const char *, void *, size_t *, void *, size_t) =
      (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
  unsigned arena;
  size_t len = sizeof arena;
  return ctl != NULL && ctl("arenas.lookup", &arena, &len, &p, sizeof p) == 0;
}
C
source "$TM_HOSTS/allocators/Inputs/foreign_prog.sh"
"$TMCC" -O1 prog.c -ljemalloc -o linked_static
check_run "linked, static runtime" 1 ./linked_static
TMCC_RUNTIME=shared "$TMCC" -O1 prog.c -ljemalloc -o linked_shared
check_run "linked, shared runtime" 0 ./linked_shared
"$TMCC" -O1 prog.c -o plain_static
check_run "preloaded, static runtime" 1 env LD_PRELOAD="$JE" ./plain_static
TMCC_RUNTIME=shared "$TMCC" -O1 prog.c -o plain_shared
check_run "preloaded after libtracemalloc.so" 1 \
  env LD_PRELOAD="$TM_LIBDIR/libtracemalloc.so $JE" ./plain_shared
