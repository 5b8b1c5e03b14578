/* cache.c - a pretend cache: leaks an entry per key. */
#include "app.h"

void cache_put(int key) {
  struct entry *e = calloc(1, sizeof *e + 100);
  e->key = key;
  void *page = map_page();
  tm_track(5, (uintptr_t)page, 4096);
}
