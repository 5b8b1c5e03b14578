/* shadow_stack.h - shadow-stack constants shared by the core and its tests.
 * The TLS words themselves are declared in tracemalloc_abi.h; thread setup
 * is tm_shadow_thread_init (internal.h). */
#ifndef TM_SHADOW_STACK_H
#define TM_SHADOW_STACK_H

/* Slots per thread: 8 MiB of address space on LP64, touched lazily. Slot 0
 * is never used (depth 0 is "no instrumented frame"). */
#define TM_SHADOW_SLOTS (1u << 20)

#endif /* TM_SHADOW_STACK_H */
