# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc as CC for an autoconf/automake project: configure's feature probes give
# the same answers as with clang, and the program built by make is traced.
source "$TM_HOSTS/lib.sh"
CLANG=clang-$TM_LLVM_MAJOR
for tool in autoreconf automake "$CLANG"; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh)"
done

mkdir src
cat >src/configure.ac <<'EOF'
AC_INIT([probe], [1.0])
AM_INIT_AUTOMAKE([foreign])
AC_CONFIG_HEADERS([config.h])
AC_PROG_CC
AC_C_INLINE
AC_C_BIGENDIAN
AC_TYPE_SIZE_T
AC_CHECK_SIZEOF([void *])
AC_CHECK_HEADERS([stdlib.h malloc.h no_such_header_for_tm.h])
AC_CHECK_FUNCS([malloc_usable_size reallocarray posix_memalign no_such_function_for_tm])
AC_CHECK_LIB([m], [cos])
AC_CHECK_LIB([no_such_library_for_tm], [main])
AC_SEARCH_LIBS([dlopen], [dl])
# Projects check that their shared libraries link with -z defs (every
# symbol resolved): an instrumented library must, too.
AC_MSG_CHECKING([whether a shared library links with -Wl,-z,defs])
save_LDFLAGS=$LDFLAGS
save_CFLAGS=$CFLAGS
LDFLAGS="$LDFLAGS -shared -Wl,-z,defs"
CFLAGS="$CFLAGS -fPIC"
AC_LINK_IFELSE([AC_LANG_SOURCE([[#include <stdlib.h>
void *make(void);
void *make(void) { return malloc(10); }]])], [zdefs=yes], [zdefs=no])
AC_MSG_RESULT([$zdefs])
LDFLAGS=$save_LDFLAGS
CFLAGS=$save_CFLAGS
AS_IF([test "$zdefs" = yes], [AC_DEFINE([HAVE_ZDEFS], [1], [shared libraries link with -z defs])])
AC_CONFIG_FILES([Makefile])
AC_OUTPUT
EOF
cat >src/Makefile.am <<'EOF'
bin_PROGRAMS = probe
probe_SOURCES = probe.c
EOF
cat >src/probe.c <<'EOF'
#include "config.h"
#include <stdlib.h>
void *keep;
int main(void) {
  keep = malloc(SIZEOF_VOID_P * 100);
  return 0;
}
EOF
(cd src && autoreconf -i >/dev/null 2>&1) || fail "autoreconf failed"

# configure_with NAME CC: configure out-of-tree in NAME, print the answers
# (configure's "checking ... result" lines, the compiler's name removed).
configure_with() {
  mkdir "$1"
  (cd "$1" && CC=$2 ../src/configure >configure.out 2>&1) ||
    fail "configure with CC=$2 failed: $(tail -20 "$1/config.log")"
  grep '^checking' "$1/configure.out" | grep -v -e 'whether we are using' -e 'whether .* accepts -g' \
    | sed -e "s|$2|CC|g"
}
ref=$(configure_with with_clang "$CLANG")
ours=$(configure_with with_tmcc "$TMCC")
expect_eq "configure answers" "$ref" "$ours"
expect_eq "config.h" "$(cat with_clang/config.h)" "$(cat with_tmcc/config.h)"
expect_match "a probe failed as it should" '^checking for no_such_function_for_tm\.\.\. no$' "$ours"
expect_match "a probe succeeded as it should" '^checking for malloc_usable_size\.\.\. yes$' "$ours"
expect_match "-z defs probe" '^checking whether a shared library links with -Wl,-z,defs\.\.\. yes$' "$ours"

make -C with_tmcc >make.out 2>&1 || fail "make failed: $(cat make.out)"
TRACEMALLOC=5 TRACEMALLOC_DUMP=probe.tmd ./with_tmcc/probe
expect_eq "traced line" "probe.c:5: size=800 B, count=1, average=800 B" \
  "$("$TM_CLI" stats probe.tmd | sed 's|^.*/||')"
