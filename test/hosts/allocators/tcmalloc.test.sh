# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tcmalloc linked (-ltcmalloc) and preloaded: tcmalloc makes and frees every
# block (MallocExtension_GetOwnership), instrumented allocations are
# traced, and libc's too when our malloc is in effect (static runtime).
source "$TM_HOSTS/lib.sh"
TC=$(compgen -G '/usr/lib/*/libtcmalloc.so.4' | head -1 || true)
[[ -n $TC && -e /usr/include/gperftools/malloc_extension_c.h ]] ||
  fail "tcmalloc is not installed (Debian: libgoogle-perftools-dev; scripts/install-deps.sh)"
cat > owns.h <<'C'
/* tcmalloc's own answer; looked up with dlsym (linked or preloaded). */
#include <dlfcn.h>
static int OWNS(void *p) {
  int (*own)(const void *) =
      (int (*)(const void *))dlsym(RTLD_DEFAULT, "MallocExtension_GetOwnership");
  return own != NULL && own(p) == 1; /* MallocExtension_kOwned */
}
C
source "$TM_HOSTS/allocators/Inputs/foreign_prog.sh"
"$TMCC" -O1 prog.c -ltcmalloc -o linked_static
check_run "linked, static runtime" 1 ./linked_static
TMCC_RUNTIME=shared "$TMCC" -O1 prog.c -ltcmalloc -o linked_shared
check_run "linked, shared runtime" 0 ./linked_shared
"$TMCC" -O1 prog.c -o plain_static
check_run "preloaded, static runtime" 1 env LD_PRELOAD="$TC" ./plain_static
