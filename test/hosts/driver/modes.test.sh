# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tmcc as a drop-in clang: every mode of the driver behaves as clang's, and
# the runtime is added only where a link makes a program.
source "$TM_HOSTS/lib.sh"
CLANG=clang-$TM_LLVM_MAJOR
command -v "$CLANG" >/dev/null || fail "$CLANG is not installed"

cat >k.c <<'EOF'
#include <stdlib.h>
void *keep;
int main(void) {
  keep = malloc(1000);
  return 0;
}
EOF

# traced PROGRAM: run it under tracemalloc and print the dump's stats, file
# names relative to this folder.
traced() {
  TRACEMALLOC=5 TRACEMALLOC_DUMP="$1.tmd" "./$1"
  "$TM_CLI" stats "$1.tmd" | sed "s|^$PWD/||"
}

# -x LANG applies to every later input: the runtime archive tmcc appends
# must not be compiled as C.
"$TMCC" -x c k.c -o x_lang
expect_eq "-x c: traced line" "k.c:4: size=1000 B, count=1, average=1000 B" "$(traced x_lang)"

# Source on stdin.
"$TMCC" -x c - -o from_stdin <k.c
expect_eq "stdin: traced line" "<stdin>:4: size=1000 B, count=1, average=1000 B" \
  "$(traced from_stdin)"

# Non-compiling modes print exactly what clang prints.
same() {
  local what=$1
  shift
  local ours theirs
  ours=$("$TMCC" "$@" 2>&1) || fail "$what: tmcc failed: $ours"
  theirs=$("$CLANG" "$@" 2>&1) || fail "$what: $CLANG failed: $theirs"
  expect_eq "$what: same output as $CLANG" "$theirs" "$ours"
}
same "-E" -E k.c
same "-M" -M k.c
same "-MM" -MM k.c
expect_eq "-E -x c -: same output as $CLANG" "$("$CLANG" -E -x c - <k.c)" "$("$TMCC" -E -x c - <k.c)"
same "-print-search-dirs" -print-search-dirs
same "-print-file-name=" -print-file-name=libc.so
same "-print-prog-name=" -print-prog-name=ld
same "-print-resource-dir" -print-resource-dir
same "-v alone" -v
same "--version" --version
same "-dumpmachine" -dumpmachine
same "-### alone" -###

# -### with a source shows clang's commands plus only what tmcc adds: the
# include directory and the plugin (compiling with -c, no link).
ours=$("$TMCC" -### -c -g k.c -o k.o 2>&1 | sed -e 's| "-fpass-plugin=[^"]*"||' -e 's| "-idirafter" "[^"]*"||')
theirs=$("$CLANG" -### -c -g k.c -o k.o 2>&1)
expect_eq "-### -c: clang's commands modulo the plugin" "$theirs" "$ours"
expect_match "-### -c: the plugin is loaded" '"-fpass-plugin=[^"]*libtmpass.so"' \
  "$("$TMCC" -### -c k.c -o k.o 2>&1)"

# -fsyntax-only: no output, clang's diagnostics.
printf 'int f(void) { return x; }\n' >bad.c
ours=$("$TMCC" -fsyntax-only bad.c 2>&1 || true)
theirs=$("$CLANG" -fsyntax-only bad.c 2>&1 || true)
expect_eq "-fsyntax-only: clang's diagnostics" "$theirs" "$ours"
"$TMCC" -fsyntax-only k.c
expect_eq "-fsyntax-only: writes nothing" "" "$(ls a.out k.o 2>/dev/null || true)"

# -MD -MF while compiling: the same dependency file as clang's.
"$TMCC" -c -MD -MF ours.d -MT k.o k.c -o k.o
"$CLANG" -c -MD -MF theirs.d -MT k.o k.c -o theirs.o
expect_eq "-MD -MF: same dependency file" "$(cat theirs.d)" "$(cat ours.d)"
expect_match "-c: instrumented object" '__tm_' "$(nm k.o)"
expect_no_match "-c: no runtime in an object" ' [TD] tm_version_number' "$(nm k.o)"

# -S: instrumented assembly.
expect_match "-S: the hooks are called" '__tm_' "$("$TMCC" -S k.c -o -)"

# Response files: expanded to decide the link kind, passed on to clang.
printf -- '-c k.c -o "rsp obj.o"\n' >compile.rsp
"$TMCC" @compile.rsp
expect_match "@file -c: instrumented object, not linked" '__tm_' "$(nm 'rsp obj.o')"
printf -- '"rsp obj.o" -o from_rsp\n' >link.rsp
"$TMCC" @link.rsp
expect_eq "@file link: runtime linked, traced line" \
  "k.c:4: size=1000 B, count=1, average=1000 B" "$(traced from_rsp)"

# -r: a partial link is linked again later; it gets no runtime.
"$TMCC" -r k.o -o partial.o
expect_no_match "-r: no runtime in the partial link" ' [TD] tm_version_number' "$(nm partial.o)"
"$TMCC" partial.o -o from_partial
expect_eq "-r: then linked into a traced program" \
  "k.c:4: size=1000 B, count=1, average=1000 B" "$(traced from_partial)"

# The same asked of the linker directly (libtool's reload_cmds).
"$TMCC" -no-pie -nostdlib -Wl,-r k.o -o partial2.o
expect_no_match "-Wl,-r: no runtime in the partial link" ' [TD] tm_version_number' "$(nm partial2.o)"

# -shared: never the static runtime in a library; libtracemalloc.so, so that
# it links with --no-undefined.
printf '#include <stdlib.h>\nvoid *lib_alloc(void) { return malloc(77); }\n' >lib.c
"$TMCC" -shared -fPIC -Wl,--no-undefined lib.c -o liblib.so
expect_no_match "-shared: no static runtime in the library" ' [TD] tm_version_number' \
  "$(nm -D --defined-only liblib.so)"
expect_match "-shared: libtracemalloc.so is needed" 'NEEDED.*libtracemalloc\.so' \
  "$(readelf -d liblib.so)"

# -nodefaultlibs / -nostdlib: the user links the system libraries; the
# program gets libtracemalloc.so, which names its own dependencies.
"$TMCC" -nodefaultlibs k.c -lc -o no_default
expect_match "-nodefaultlibs: libtracemalloc.so is needed" 'NEEDED.*libtracemalloc\.so' \
  "$(readelf -d no_default)"
expect_eq "-nodefaultlibs: traced line" "k.c:4: size=1000 B, count=1, average=1000 B" \
  "$(traced no_default)"

# tmc++ the same way for C++ on stdin.
printf '#include <vector>\nstd::vector<int> *v;\nint main() { v = new std::vector<int>(10); return 0; }\n' >v.cc
"$TMCXX" -x c++ - -o cxx_stdin <v.cc
expect_match "tmc++ -x c++ -: traced line" '<stdin>:3: size=[0-9]+ B, count=[0-9]+' "$(traced cxx_stdin)"
