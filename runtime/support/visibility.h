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

/* TM_COLD_CALL: the calling convention of a rarely taken call out of the
 * allocation and free fast paths (a lock's slow path, a history update
 * that has to look its thread up again). preserve_most: the callee saves
 * the registers it uses, so the inlined fast path keeps its values in
 * caller-saved registers across the call and needs no prologue of its own
 * for them (issue 14: 7 pushes and 7 pops per free were the fast path's
 * register saves, there only for such calls). The callee pays them when
 * it runs. Clang on x86-64 only; elsewhere an ordinary call. */
#if defined(__has_attribute)
#if __has_attribute(preserve_most) && defined(__x86_64__) && defined(__clang__)
#define TM_COLD_CALL __attribute__((preserve_most))
#endif
#endif
#ifndef TM_COLD_CALL
#define TM_COLD_CALL
#endif

#endif /* TM_VISIBILITY_H */
