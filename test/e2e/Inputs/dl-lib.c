/* An instrumented shared library, loaded with dlopen by dlopen.c. */
#include <stdlib.h>

void *volatile lib_sink;

__attribute__((noinline)) static void *lib_leaf(size_t n) {
  void *p = malloc(n);
  lib_sink = p;
  return p;
}

void *lib_alloc(size_t n) {
  void *p = lib_leaf(n);
  lib_sink = p;
  return p;
}
