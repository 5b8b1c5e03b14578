# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Sourced by the python tests after lib.sh: writes tmext.c, a CPython
# extension module in C whose allocations the tests look for, and the
# script that imports it. EXT_LINE is the line of tmext.c that allocates.
PY=/usr/bin/python3
[[ -x $PY ]] || fail "$PY is missing (scripts/install-deps.sh installs python3)"
"$PY" -c 'import sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' ||
  fail "Python.h is missing for $PY (scripts/install-deps.sh installs python3-dev)"
EXT_LINE=9
cat > tmext.c <<'C'
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

static char *blocks[16];
static int nblocks;

static char *make_block(size_t n) {
  return malloc(n);
}

static PyObject *keep(PyObject *self, PyObject *arg) {
  long n = PyLong_AsLong(arg);
  if (n < 0 && PyErr_Occurred())
    return NULL;
  if (nblocks == 16 || !(blocks[nblocks] = make_block((size_t)n)))
    return PyErr_NoMemory();
  nblocks++;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"keep", keep, METH_O, "keep a malloc'ed block of N bytes"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "tmext", NULL, -1,
                                    methods};

PyMODINIT_FUNC PyInit_tmext(void) { return PyModule_Create(&module); }
C
cat > use.py <<'PY'
import tmext
tmext.keep(1500)
tmext.keep(1500)
print("ok")
PY

# check_ext WHAT: import the built module with the system python, traced.
check_ext() {
  local out
  out=$(cd "$TM_WORK" && TRACEMALLOC=2 TRACEMALLOC_DUMP=ext.tmd "$PY" use.py 2>err.txt) ||
    fail "$1: python3 failed: $(cat err.txt)"
  expect_eq "$1: imported and ran" ok "$out"
  expect_eq "$1: no stderr" "" "$(cat err.txt)"
  local stats
  stats=$("$TM_CLI" stats ext.tmd)
  expect_match "$1: the extension's blocks at their C line" \
    "/tmext\.c:$EXT_LINE: size=3000 B, count=2, average=1500 B$" "$stats"
  expect_match "$1: two frames, the caller's line" \
    "tmext\.c:16" "$("$TM_CLI" stats ext.tmd --key traceback)"
}
