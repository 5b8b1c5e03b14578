# A `tmcc -shared` library loaded by an uninstrumented Python with ctypes,
# no LD_PRELOAD: TRACEMALLOC/TRACEMALLOC_DUMP trace its allocations, and a
# block the host frees with libc's free (unseen) leaves a stale trace that
# the next allocation at the same address replaces (not counted twice).
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/shlib/demo-lib.sh"
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is missing (scripts/install-deps.sh installs python3)"

cat > host.py <<'PY'
import ctypes, sys
demo = ctypes.CDLL("./libdemo.so")
libc = ctypes.CDLL(None)
demo.demo_temp.restype = ctypes.c_void_p
demo.demo_temp.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
demo.demo_keep()
p = demo.demo_temp(3000)
libc.free(p)               # the host frees it: the runtime does not see it
q = demo.demo_temp(3000)   # same size class: glibc hands out the same block
print("reused" if p == q else "moved")
PY
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=py.tmd "$PY" host.py 2>err.txt) ||
  fail "python3 failed: $(cat err.txt)"
expect_eq "no stderr" "" "$(cat err.txt)"
expect_eq "address reused" reused "$out"
check_demo_dump python py.tmd
stats=$("$TM_CLI" stats py.tmd)
expect_match "stale trace replaced, not counted twice" \
  "/demo\.c:$DEMO_TEMP_LINE: size=3000 B, count=1, average=3000 B$" "$stats"

# Without TRACEMALLOC the library just works, and no dump is written.
out=$("$PY" -c 'import ctypes; d = ctypes.CDLL("./libdemo.so"); d.demo_keep(); print("ok")')
expect_eq "untraced run" ok "$out"
