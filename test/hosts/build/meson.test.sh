# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc as the C compiler of a Meson project: Meson's sanity checks pass and
# the program is traced. Every command goes through a response file
# (MESON_RSP_THRESHOLD=0, as Meson does for long command lines): tmcc must
# read -c and -shared inside it, so that compiles link nothing (werror) and
# the shared library gets no static runtime.
source "$TM_HOSTS/lib.sh"
command -v meson >/dev/null || fail "meson is not installed (scripts/install-deps.sh)"
mkdir src
cat >src/meson.build <<'EOF'
project('probe', 'c', default_options: ['werror=true'])
cc = meson.get_compiler('c')
assert(cc.get_id() == 'clang', 'tmcc is not seen as clang: ' + cc.get_id())
assert(cc.has_function('malloc_usable_size', prefix: '#include <malloc.h>'))
assert(not cc.has_function('no_such_function_for_tm'))
lib = shared_library('pool', 'pool.c')
executable('probe', 'probe.c', link_with: lib)
EOF
cat >src/pool.c <<'EOF'
#include <stdlib.h>
void *pool_make(void);
void *pool_make(void) {
  return malloc(900);
}
EOF
cat >src/probe.c <<'EOF'
void *pool_make(void);
void *keep;
int main(void) {
  keep = pool_make();
  return 0;
}
EOF
export MESON_RSP_THRESHOLD=0
CC=$TMCC meson setup b src >setup.out 2>&1 || fail "meson setup failed: $(cat setup.out)"
meson compile -C b >build.out 2>&1 || fail "meson compile failed: $(cat build.out)"
TRACEMALLOC=5 TRACEMALLOC_DUMP=probe.tmd ./b/probe
expect_match "response files were used" '@[^ ]*\.rsp' "$(cat b/build.ninja)"
expect_no_match "no static runtime in the shared library" ' [TD] tm_version_number' \
  "$(nm -D --defined-only b/libpool.so)"
expect_eq "traced line" "pool.c:4: size=900 B, count=1, average=900 B" \
  "$("$TM_CLI" stats probe.tmd | sed 's|^.*/||')"
