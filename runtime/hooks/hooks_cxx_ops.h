/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* hooks_cxx_ops.h - expands the includer's TM_CXX_NEW and TM_CXX_DELETE
 * over the C++ operators of tracemalloc_hooks.def, in its order, then
 * #undefs both. Include it as often as needed (no include guard): the .def
 * stays the one list, so a new operator is one line there.
 *
 *   TM_CXX_NEW(NAME, PARAMS, ARGS, ALIGNED, ALIGN, NOTHROW)  every new
 *   TM_CXX_DELETE(NAME, PARAMS, ARGS)                        every delete
 *
 * The shape of a new comes from its argument names in the .def: a second
 * argument `align` makes it aligned (ALIGN is then that argument, else 0),
 * a last argument `nt` (the std::nothrow_t) makes it nothrow.
 */
#ifndef TM_CXX_SHAPE
#define TM_CXX_NARGS(...) TM_CXX_NARGS_(__VA_ARGS__, 3, 2, 1, 0)
#define TM_CXX_NARGS_(a, b, c, n, ...) n
#define TM_CXX_CAT(a, b) TM_CXX_CAT_(a, b)
#define TM_CXX_CAT_(a, b) a##b
/* ALIGNED, ALIGN, NOTHROW of a new, from its ARGS. */
#define TM_CXX_SHAPE(ARGS) TM_CXX_CAT(TM_CXX_SHAPE_, TM_CXX_NARGS ARGS) ARGS
#define TM_CXX_SHAPE_1(size) 0, 0, 0
#define TM_CXX_SHAPE_2(size, second) TM_CXX_SHAPE_2_##second
#define TM_CXX_SHAPE_2_nt 0, 0, 1
#define TM_CXX_SHAPE_2_align 1, align, 0
#define TM_CXX_SHAPE_3(size, align, nt) 1, align, 1
/* Expands the argument list (the shape) before X sees it. */
#define TM_CXX_APPLY(X, ARGLIST) X ARGLIST
#define TM_CXX_OP_TM_HOOK_ALLOC(NAME, PARAMS, ARGS)                            \
  TM_CXX_APPLY(TM_CXX_NEW, (NAME, PARAMS, ARGS, TM_CXX_SHAPE(ARGS)))
#define TM_CXX_OP_TM_HOOK_FREE(NAME, PARAMS, ARGS)                             \
  TM_CXX_DELETE(NAME, PARAMS, ARGS)
#endif

#define TM_HOOK(NAME, RET, PARAMS, ARGS, KIND)
#define TM_HOOK_CXX(NAME, RET, PARAMS, ARGS, KIND)                             \
  TM_CXX_OP_##KIND(NAME, PARAMS, ARGS)
#include "tracemalloc_hooks.def"
#undef TM_HOOK
#undef TM_HOOK_CXX
#undef TM_CXX_NEW
#undef TM_CXX_DELETE
