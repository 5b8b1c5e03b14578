/* floor_tls.c - the thread-local of floor.c, in a translation unit of
 * their own so that floor.c reaches them as instrumented code reaches the
 * runtime's: initial-exec TLS of another object. */
#include <stdint.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))

_Thread_local uintptr_t floor_depth TLS_IE;
