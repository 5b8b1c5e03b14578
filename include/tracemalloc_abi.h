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
 * 2. Shadow stack (per thread), kept only while tracing (ABI v4).
 *
 *    Dispatch, untraced copy, traced copy (since ABI v3). A function that
 *    needs a frame (below) is emitted as two private copies (no symbol):
 *    NAME.tm_untraced, with its allocation calls rewritten to hooks (sites
 *    without TM_SITE_OWN_FRAME) and no frame at all, and NAME.tm_traced,
 *    that keeps the frame as described below. NAME itself (its address,
 *    linkage and symbol unchanged) is only
 *
 *      if (__tm_tracing_flag)            (one relaxed byte load and compare)
 *        return NAME.tm_traced(args);    (a tail call)
 *      return NAME.tm_untraced(args);    (a tail call)
 *
 *    and the traced copies call each other directly (no test). The rule
 *    this gives tracebacks: a frame entered while not tracing is not in
 *    them (nor in total_nframe, which counts the frames recorded); a frame
 *    entered while tracing is, even if tracing stops and starts again while
 *    it runs. These functions have no untraced copy and always push their
 *    frame: the ones that call tm_start, directly or through functions
 *    defined in the same module (so main, in the usual `main -> tm_start`
 *    program, is in every traceback), and the ones with an EH pad or a
 *    returns_twice call (an untraced frame could not repair the chain
 *    after an unwind or a second return into it), variadic ones, and ones
 *    with an inalloca, preallocated or swifterror parameter. Programs
 *    traced from start-up (TRACEMALLOC set) enter every frame while
 *    tracing.
 *
 *    The frame (ABI v4): a record `struct tm_frame_record { prev, site }`,
 *    an alloca of the function (one per function; the pushes of a split
 *    frame never overlap), linked from one initial-exec TLS word,
 *    __tm_shadow_top:
 *
 *      push:          rec.prev = __tm_shadow_top;
 *                     __tm_shadow_top = &rec;            (release store)
 *      before a call: rec.site = &site_of_this_call;
 *                     (or once, at the push, when the function has a single
 *                     such call: the record is its own; or, when the call
 *                     whose site the record holds on every path here is
 *                     known, rec.site += (&site_of_this_call - &its_site),
 *                     nothing when that is 0)
 *      ret / resume:  __tm_shadow_top = rec.prev;  (before a musttail call)
 *      landing pad,
 *      after a returns_twice call,
 *      after a call that may reach code not instrumented here (an indirect
 *      or external callee, or one defined in the module but skipped):
 *                     __tm_shadow_top = &rec;
 *
 *    Nothing is live in a register across a call (the exits reload prev
 *    from the record), and there is no depth: a dlopen'ed or any other
 *    module with a frame reads and writes the one word. Modules linked into
 *    an executable with the static runtime may reach the word local-exec
 *    (`-tm-local-exec`, which tmcc passes then): one %fs-relative access,
 *    no GOT load of its offset.
 *    Site tables. Every site of a module is in a section named tm_sites;
 *    the image's constructor passes its bounds (the linker's
 *    __start_tm_sites and __stop_tm_sites) to __tm_module_init_v4 and its
 *    destructor to __tm_module_fini_v4, so the runtime can tell a site
 *    pointer from any other word.
 *    Unwinds through uninstrumented frames (a longjmp, a C++ exception
 *    caught in code without a frame) leave __tm_shadow_top pointing into
 *    dead stack until control comes back into a live frame: at its
 *    landing pad, after its returns_twice call, or after its call into
 *    uninstrumented code (the setjmp or catch was there, or below it), its
 *    record is the top again. A call to a function instrumented in the
 *    module needs no such store: that function pops to the prev it loaded,
 *    and re-installs its own record after its own calls out. Until then
 *    (in the uninstrumented code, or in a frame entered while not tracing,
 *    which keeps no record) the top may be dead: the capture therefore
 *    checks every record before it reads it (section 3).
 *    Hook calls (__tm_*) do not store into the record: their site is passed
 *    as an argument.
 *    Context switches (runtime side, runtime/hooks/context_switch.c): the
 *    runtime's swapcontext keeps the top (and the stack bounds) of the
 *    context it leaves and puts them back when that context resumes; its
 *    makecontext starts a context with no record and the bounds of its
 *    stack. So the shadow stack is that of the machine stack the thread is
 *    on: a coroutine's tracebacks hold its own frames, and the code it
 *    switched away to never sees them. A signal handler pushes on top of
 *    the context it interrupted, on sigaltstack or not.
 *
 * 3. Traceback capture (runtime side), for a hook called with site S:
 *      frames = expand(S);
 *      r = __tm_shadow_top, skipping the first live record when
 *          S->flags & TM_SITE_OWN_FRAME (it is S's function's own);
 *      for each live record r, innermost first: frames += expand(r->site)
 *          (one unknown frame when r->site is not in a registered section);
 *    where a record is read only inside the stack the thread is on (its
 *    bounds; under a handler on sigaltstack, the alternate stack first), at
 *    an address above the previous record's; a record below the capture's
 *    own frame is dead and skipped; the first one that fails these checks
 *    ends the walk as one unknown frame. total_nframe counts every frame
 *    (capped at CPython's 65,535: at most 65,535 records are read).
 *    The runtime writes one thing into records: the low bit of the site
 *    field of the records a capture memoises (a tag: "read, unchanged
 *    since"), so that the next capture reads only the records above the
 *    first tagged one that its memo holds (runtime/core/shadow_gather.c,
 *    "Memo"; at traceback limit 1, shadow_below.c). Instrumented code
 *    therefore stores a whole, untagged site into a record it pushed
 *    before the first call that can reach an allocation (at the push, or
 *    before that call), and after that either stores whole sites or adds
 *    the distance to the next site, which keeps a tag (the memo compares
 *    the site itself too, so a tagged record whose site changed is read
 *    again). Only a push writes a record's prev.
 *    For an allocation that reaches the runtime without a site (malloc
 *    called by uninstrumented code, through interposition or sanitizer
 *    hooks), frames = the expanded records from the top: the line of the
 *    nearest instrumented caller. An empty result is CPython's
 *    ('<unknown>', 0) frame with total_nframe 1.
 *
 *    The alternatives measured against this layout (docs/pass.md, "ABI v4",
 *    and docs/performance.md) were ABI v3's depth and ring, an integer
 *    calling context, frame-pointer unwinding and a depth in the record.
 */
#ifndef TRACEMALLOC_ABI_H
#define TRACEMALLOC_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TM_ABI_VERSION 4

/* tm_site.flags */
#define TM_SITE_OWN_FRAME                                                      \
  0x1u /* the function holding this call pushed its                            \
          frame record (the innermost live one,                                \
          whose site field is stale here) */
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

/* ABI v4 frame record: one per pushed frame, an alloca in the frame
 * itself, linked from the thread's __tm_shadow_top (section 2). Layout is
 * fixed: the pass builds it as the LLVM struct { ptr, ptr }. */
struct tm_frame_record {
  const struct tm_frame_record
      *prev;                  /* the record below (the caller's), or NULL */
  const struct tm_site *site; /* the call this frame is in now */
};

/* The innermost live record of the stack the thread is on, or NULL.
 * Defined by the runtime (initial-exec; a module linked into an executable
 * together with the static runtime may reach it local-exec). */
extern __thread const struct tm_frame_record *__tm_shadow_top;

/* Nonzero while tracing (tm_start .. tm_stop), written by the active runtime
 * only; read (relaxed) by the dispatch of every function with an untraced
 * copy (section 2). A plain byte so that the entry test is one compare. */
extern __attribute__((visibility("default"))) unsigned char __tm_tracing_flag;

/* Every instrumented module gets a constructor that calls this and a
 * destructor that calls the fini. They are idempotent and cheap; their
 * names carry TM_ABI_VERSION so that a mismatch between the pass and the
 * runtime fails the link (the runtime defines no other version's: an
 * object built for ABI v3, whose frames wrote a per-thread ring that no
 * longer exists, does not link). The constructor registers the bounds of
 * its image's `tm_sites` section (the linker's __start_tm_sites and
 * __stop_tm_sites), so that a capture can check a site pointer found in a
 * frame record before reading through it; the destructor withdraws them
 * (dlclose). */
void __tm_module_init_v4(const struct tm_site *begin,
                         const struct tm_site *end);
void __tm_module_fini_v4(const struct tm_site *begin,
                         const struct tm_site *end);

/* The hooks: for each TM_HOOK(NAME, RET, PARAMS, ...) in
 * tracemalloc_hooks.def, `RET __tm_NAME(PARAMS..., const struct tm_site *)`.
 * They are declared by the runtime's internal headers (C cannot append a
 * parameter to a parenthesised list without a helper macro). */

#ifdef __cplusplus
}
#endif
#endif /* TRACEMALLOC_ABI_H */
