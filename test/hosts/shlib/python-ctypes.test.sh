# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
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
# A thread Python creates (no pthread_create wrapper in this process): its
# shadow stack is set up at its first traced allocation.
import threading
kept = []
t = threading.Thread(target=lambda: kept.append(demo.demo_temp(5000)))
t.start(); t.join()
print("reused" if p == q else "moved")
PY
out=$(TRACEMALLOC=1 TRACEMALLOC_DUMP=py.tmd "$PY" host.py 2>err.txt) ||
  fail "python3 failed: $(cat err.txt)"
expect_eq "no stderr" "" "$(cat err.txt)"
expect_eq "address reused" reused "$out"
check_demo_dump python py.tmd
stats=$("$TM_CLI" stats py.tmd)
# demo_temp's line: the 3000-byte block once (the stale trace of the
# host-freed one was replaced at the reused address, not counted twice)
# and the Python thread's 5000-byte block.
expect_match "stale trace replaced; the thread's block traced" \
  "/demo\.c:$DEMO_TEMP_LINE: size=8000 B, count=2, average=4000 B$" "$stats"

# Without TRACEMALLOC the library just works.
out=$("$PY" -c 'import ctypes; d = ctypes.CDLL("./libdemo.so"); d.demo_keep(); print("ok")')
expect_eq "untraced run" ok "$out"
