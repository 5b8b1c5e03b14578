/* Second translation unit of lto.c and gc-sections.c. */
#include <stdlib.h>

void *volatile other_sink;

__attribute__((noinline)) void *other_alloc(size_t n) {
  void *p = malloc(n);
  other_sink = p;
  return p;
}

/* Small enough to be inlined across TUs by LTO: then it is an inlined frame
 * of its caller, with the same file:line. */
void *other_wrap(size_t n) {
  void *p = other_alloc(n);
  other_sink = p;
  return p;
}
