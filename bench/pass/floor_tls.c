/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* floor_tls.c - the thread-locals of floor.c, in a translation unit of
 * their own so that floor.c reaches them as instrumented code reaches the
 * runtime's: initial-exec TLS of another object. */
#include <stdint.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))

_Thread_local uintptr_t floor_depth TLS_IE;

struct floor_shadow {
  uintptr_t depth;
  const void **frames;
};
static const void *floor_ring[1u << 20];
_Thread_local struct floor_shadow floor_shadow TLS_IE = {0, floor_ring};
