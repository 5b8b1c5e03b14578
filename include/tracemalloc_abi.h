/* tracemalloc_abi.h - the contract between the compiler pass and the runtime.
 *
 * Nothing here is for users: it is what `clang -fpass-plugin=libtmpass.so`
 * emits references to, and what libtracemalloc defines. Changing anything in
 * this file is an ABI break: bump TM_ABI_VERSION, and with it the name of the
 * version symbol, so that an old object linked against a new runtime fails at
 * link time instead of misbehaving at run time.
 *
 * 1. Site descriptors. For every rewritten allocation call and every call
 *    that stores into the shadow stack, the pass emits one constant
 *    `struct tm_site`. A site whose DILocation was inlined points, through
 *    `inlined_at`, to another constant site for the caller's location, and
 *    so on: a site expands to 1 + (length of the inlined_at chain) frames,
 *    innermost first.
 *
 * 2. Shadow stack (per thread, initial-exec TLS, four words):
 *
 *      function entry:  d    = __tm_depth;          // saved depth
 *                       own  = d + 1;
 *                       __tm_depth = own;
 *                       slot = own < __tm_frames_cap ? &__tm_frames[own]
 *                                                   : &__tm_sink;
 *      before a call:   *slot = &site_of_this_call;
 *      ret / resume:    __tm_depth = d;     (before a musttail call)
 *      landing pad,
 *      after a returns_twice call:  __tm_depth = own;
 *
 *    A thread whose frame array the runtime has not set up yet has
 *    __tm_frames_cap == 0, so every store goes to __tm_sink: nothing is ever
 *    written out of bounds, whatever the depth.
 *    Hook calls (__tm_*) do not store into the slot: their site is passed as
 *    an argument.
 *
 * 3. Traceback capture (runtime side), for a hook called with site S from a
 *    thread at depth D:
 *      frames = expand(S);
 *      i      = (S->flags & TM_SITE_OWN_FRAME) ? D - 1 : D;
 *      for (; i >= 1; i--) frames += expand(__tm_frames[i]) (or an unknown
 *                                     frame when i >= cap or the slot is NULL);
 *    For an allocation that reaches the runtime without a site (malloc called
 *    by uninstrumented code, through interposition or sanitizer hooks),
 *    frames = expand(__tm_frames[D]) ... expand(__tm_frames[1]): the line of
 *    the nearest instrumented caller. An empty result is CPython's
 *    ('<unknown>', 0) frame with total_nframe 1.
 */
#ifndef TRACEMALLOC_ABI_H
#define TRACEMALLOC_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_ABI_VERSION 1

/* tm_site.flags */
#define TM_SITE_OWN_FRAME 0x1u /* the function holding this call pushed a
                                  shadow frame (its own slot is __tm_depth) */
#define TM_SITE_NO_DEBUG 0x2u  /* no debug info: file is the module's source
                                  file and line is 0 */

/* One static call site. Layout is fixed: the pass builds it as the LLVM
 * struct { ptr, ptr, ptr, i32, i32, i32, i32 }. */
struct tm_site {
  const char *file;                 /* absolute, or as the compiler saw it */
  const char *function;             /* source-level name (may be mangled
                                       without debug info); never NULL */
  const struct tm_site *inlined_at; /* location of the call this site was
                                       inlined into, or NULL */
  uint32_t line;                    /* 0 when unknown */
  uint32_t column;                  /* 0 when unknown */
  uint32_t flags;                   /* TM_SITE_* */
  uint32_t reserved;                /* 0 */
};

/* Shadow-stack TLS, defined by the runtime with
 * __attribute__((tls_model("initial-exec"))). */
extern __thread uintptr_t __tm_depth;
extern __thread const struct tm_site **__tm_frames;
extern __thread uintptr_t __tm_frames_cap;
extern __thread const struct tm_site *__tm_sink;

/* Every instrumented module gets a constructor that calls this. It is
 * idempotent and cheap; its name carries TM_ABI_VERSION so that a mismatch
 * between the pass and the runtime fails the link. */
void __tm_module_init_v1(void);

/* The hooks: for each TM_HOOK(NAME, RET, PARAMS, ...) in
 * tracemalloc_hooks.def, `RET __tm_NAME(PARAMS..., const struct tm_site *)`.
 * They are declared by the runtime's internal headers (C cannot append a
 * parameter to a parenthesised list without a helper macro). */

#ifdef __cplusplus
}
#endif
#endif /* TRACEMALLOC_ABI_H */
