# tmcc -static: not supported yet (the runtime's malloc and the static libc's
# collide). tmcc stops with one clear line before compiling anything.
source "$TM_HOSTS/lib.sh"
printf '#include <stdlib.h>\nint main(void) { return malloc(1) == 0; }\n' >s.c
rc=0
err=$("$TMCC" -static s.c -o s 2>&1) || rc=$?
expect_eq "-static: exit status" 1 "$rc"
expect_eq "-static: one clear line" \
  "tmcc: error: -static is not supported yet: the runtime replaces malloc, which the static libc defines too (link dynamically; -static-libgcc and -static-libstdc++ work)" \
  "$err"
expect_eq "-static: nothing was compiled" "" "$(ls s s.o 2>/dev/null || true)"
# Compiling for a static link later is fine: only the link is refused.
"$TMCC" -static -c s.c -o s.o
expect_match "-static -c: compiles" '__tm_' "$(nm s.o)"
