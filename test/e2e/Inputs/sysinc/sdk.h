/* sdk.h - a library header that allocates in an inline function, for
 * tmcc-system-dirs.c: a system header when included through -isystem. */
#ifndef SDK_H
#define SDK_H

#include <stdlib.h>

static inline void *sdk_make(size_t n) {
  void *p = malloc(n);
  return p;
}

#endif
