/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* visibility.h - TM_HIDDEN, the one spelling of "internal to the runtime".
 *
 * Every layer is compiled with -fvisibility=hidden, but a declaration that
 * says so too lets the compiler assume the symbol binds locally inside
 * libtracemalloc.so: calls go straight to the function and data is reached
 * PC-relative, without a PLT or GOT indirection (which matters on the
 * allocation hot path). Public functions use TM_API (tracemalloc.h), the
 * interposed libc names their own default-visibility aliases.
 */
#ifndef TM_VISIBILITY_H
#define TM_VISIBILITY_H

#define TM_HIDDEN __attribute__((visibility("hidden")))

#endif /* TM_VISIBILITY_H */
