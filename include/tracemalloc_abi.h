/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
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
 * 2. Shadow stack (per thread), kept only while tracing (ABI v3).
 *
 *    Untraced entry, traced copy. A function that needs a frame (below) is
 *    emitted twice: under its own name, with its allocation calls rewritten
 *    to hooks (sites without TM_SITE_OWN_FRAME) and no frame at all, and as
 *    a private copy NAME.tm_traced (no symbol) that keeps the frame as
 *    described below. The entry of NAME, after its static allocas, is
 *
 *      if (__tm_tracing_flag)          (one relaxed byte load and compare)
 *        return NAME.tm_traced(args);  (a tail call)
 *
 *    and the traced copies call each other directly (no test). Not tracing,
 *    a call pays one compare and one not-taken branch; tracing, a frame
 *    costs what it did in ABI v2. The rule this gives tracebacks: a frame
 *    entered while not tracing is not in them (nor in total_nframe, which
 *    counts the frames recorded); a frame entered while tracing is, even
 *    if tracing stops and starts again while it runs. These functions have
 *    no untraced copy and always push their frame: the ones that call
 *    tm_start, directly or through functions defined in the same module
 *    (so main, in the usual `main -> tm_start` program, is in every
 *    traceback), and the ones with an EH pad or a returns_twice call (an
 *    untraced frame could not set the depth back after an unwind or a
 *    second return into it), variadic ones, and ones with an inalloca,
 *    preallocated or swifterror parameter. Programs traced from start-up
 *    (TRACEMALLOC set) enter every frame while tracing.
 *
 *    The frame: one initial-exec TLS struct of two words,
 *    __tm_shadow = { depth, frames }, and a ring of TM_SHADOW_RING_SLOTS
 *    site pointers that `frames` points to (a power of two: the slot of
 *    depth k is frames[k & TM_SHADOW_RING_MASK]).
 *
 *      function entry:  d    = __tm_shadow.depth;     // saved depth
 *                       own  = d + 1;
 *                       __tm_shadow.depth = own;
 *                       slot = &__tm_shadow.frames[own & TM_SHADOW_RING_MASK];
 *      before a call:   *slot = &site_of_this_call;   (relaxed atomic store)
 *                       (or once, right after the push, when the function
 *                       has a single such call: the slot is its own)
 *      ret / resume:    __tm_shadow.depth = d;   (before a musttail call)
 *      landing pad,
 *      after a returns_twice call:  __tm_shadow.depth = own;
 *
 *    Why a ring: no capacity check and no branch or select on the entry
 *    path, and any depth is safe. `frames` always points to a whole ring: a
 *    thread the runtime has not set up yet (or no longer has) uses one
 *    shared ring that the runtime never reads (it is TLS-initialised to it),
 *    which is why slot stores are relaxed atomics. The ring holds the
 *    innermost TM_SHADOW_RING_SLOTS frames of a deeper stack; each nested
 *    instrumented frame takes at least 16 bytes of machine stack, so only a
 *    thread with more than 16 MiB of stack can wrap it (section 3); after
 *    it has, a live frame whose slot a deeper one took reads as that deeper
 *    frame's site until it stores again.
 *    Hook calls (__tm_*) do not store into the slot: their site is passed as
 *    an argument.
 *    Context switches (runtime side, runtime/hooks/context_switch.c): the
 *    runtime's swapcontext keeps {depth, frames} of the context it leaves
 *    and puts them back when that context resumes; its makecontext starts a
 *    context at depth 0 on a ring of its own (one per makecontext stack).
 *    So the shadow stack is that of the machine stack the thread is on: a
 *    coroutine's tracebacks hold its own frames, and the code it switched
 *    away to never sees them. A signal handler pushes on top of the context
 *    it interrupted, on sigaltstack or not.
 *
 * 3. Traceback capture (runtime side), for a hook called with site S from a
 *    thread at depth D:
 *      frames = expand(S);
 *      i      = (S->flags & TM_SITE_OWN_FRAME) ? D - 1 : D;
 *      for (; i >= 1; i--) frames += expand(ring[i & TM_SHADOW_RING_MASK])
 *                  (or one unknown frame when the slot is NULL, the thread
 *                  has no ring of its own, or D - i >= TM_SHADOW_RING_SLOTS,
 *                  a slot a deeper live frame has taken);
 *    For an allocation that reaches the runtime without a site (malloc called
 *    by uninstrumented code, through interposition or sanitizer hooks),
 *    frames = expand(slot D) ... expand(slot 1): the line of
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

#define TM_ABI_VERSION 3

/* tm_site.flags */
#define TM_SITE_OWN_FRAME                                                      \
  0x1u /* the function holding this call pushed a                              \
          shadow frame (its own slot is the                                    \
          depth, __tm_shadow.depth) */
#define TM_SITE_NO_DEBUG                                                       \
  0x2u /* no debug info: file is the module's source                           \
          file and line is 0 */

/* One static call site. Layout is fixed: the pass builds it as the LLVM
 * struct { ptr, ptr, ptr, i32, i32, i32, i32 }. */
struct tm_site {
  const char *file;                 /* absolute, or as the compiler saw it */
  const char *function;             /* demangled name ("ns::f(int)"; a C
                                       function's plain name); never NULL */
  const struct tm_site *inlined_at; /* location of the call this site was
                                       inlined into, or NULL */
  uint32_t line;                    /* 0 when unknown */
  uint32_t column;                  /* 0 when unknown */
  uint32_t flags;                   /* TM_SITE_* */
  uint32_t reserved;                /* 0 */
};

/* The shadow-stack ring: slots per thread (a power of two; 8 MiB of
 * address space, of which only the touched pages cost memory). */
#define TM_SHADOW_RING_SLOTS (1u << 20)
#define TM_SHADOW_RING_MASK (TM_SHADOW_RING_SLOTS - 1u)

/* Shadow-stack TLS, defined by the runtime with
 * __attribute__((tls_model("initial-exec"))). Layout is fixed: the pass
 * builds it as the LLVM struct { intptr, ptr }. */
struct tm_shadow {
  uintptr_t depth;               /* instrumented frames live now */
  const struct tm_site **frames; /* the ring; never NULL */
};
extern __thread struct tm_shadow __tm_shadow;

/* Nonzero while tracing (tm_start .. tm_stop), written by the active runtime
 * only; read (relaxed) at the entry of every function with an untraced copy
 * (section 2). A plain byte so that the entry test is one compare. */
extern __attribute__((visibility("default"))) unsigned char __tm_tracing_flag;

/* Every instrumented module gets a constructor that calls this. It is
 * idempotent and cheap; its name carries TM_ABI_VERSION so that a mismatch
 * between the pass and the runtime fails the link. */
void __tm_module_init_v3(void);

/* The hooks: for each TM_HOOK(NAME, RET, PARAMS, ...) in
 * tracemalloc_hooks.def, `RET __tm_NAME(PARAMS..., const struct tm_site *)`.
 * They are declared by the runtime's internal headers (C cannot append a
 * parameter to a parenthesised list without a helper macro). */

#ifdef __cplusplus
}
#endif
#endif /* TRACEMALLOC_ABI_H */
