# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# A CPython extension module in C built with tmcc by setuptools
# (CC=tmcc LDSHARED="tmcc -shared"), imported by the system python3 with
# no LD_PRELOAD: its allocations are in the dump with their C file:line.
source "$TM_HOSTS/lib.sh"
source "$TM_HOSTS/python/ext-src.sh"
"$PY" -c 'import setuptools' ||
  fail "setuptools is missing for $PY (scripts/install-deps.sh installs python3-setuptools)"
cat > setup.py <<'PY'
from setuptools import setup, Extension
setup(name="tmext", version="1.0", ext_modules=[Extension("tmext", ["tmext.c"])])
PY
CC=$TMCC LDSHARED="$TMCC -shared" "$PY" setup.py -q build_ext --inplace >build.log 2>&1 ||
  fail "setup.py build_ext failed: $(cat build.log)"
so=$(ls tmext*.so)
readelf -d "$so" | grep -q 'NEEDED.*libtracemalloc' ||
  fail "$so does not depend on libtracemalloc.so (not linked by tmcc?)"
check_ext setuptools
