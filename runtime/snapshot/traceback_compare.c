/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_compare.c - tracebacks compared by content: the hashes of
 * strings and frames (what interning and grouping key on) and CPython's
 * Traceback equality and order, all declared in snapshot.h.
 *
 * Separate from snapshot.c: these work on any tracebacks whose strings are
 * interned (of one snapshot or of two, or stand-alone), not on a snapshot.
 */
#include <string.h>

#include "snapshot_layout.h"

uint64_t tm_hash_bytes(const void *p, size_t n) {
  const unsigned char *b = p;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0x100000001b3ULL);
  while (n >= 8) {
    uint64_t v;
    memcpy(&v, b, 8);
    h = (h ^ v) * 0x87c37b91114253d5ULL;
    h = (h << 31) | (h >> 33);
    b += 8;
    n -= 8;
  }
  uint64_t v = 0;
  memcpy(&v, b, n);
  h = (h ^ v) * 0x4cf5ad432745937fULL;
  return mix64(h);
}

uint64_t tm_string_hash(const char *interned) { return hdr_of(interned)->hash; }

size_t tm_string_length(const char *interned) {
  return (size_t)hdr_of(interned)->len;
}

static inline uint64_t frames_fold(uint64_t h, const char *fn,
                                   unsigned int lineno) {
  return mix64((h * 0x100000001b3ULL) ^ hdr_of(fn)->hash ^
               ((uint64_t)lineno << 17));
}

#define FRAMES_SEED 0x2545f4914f6cdd1dULL

uint64_t tm_frame_hash(const char *interned_filename, unsigned int lineno) {
  return frames_fold(FRAMES_SEED, interned_filename, lineno);
}

uint64_t tm_frames_hash(const tm_frame_t *frames, size_t n) {
  uint64_t h = FRAMES_SEED;
  for (size_t i = 0; i < n; i++)
    h = frames_fold(h, frames[i].filename, frames[i].lineno);
  return h;
}

static inline int str_cmp(const char *a, const char *b) {
  if (a == b)
    return 0;
  /* strcmp compares as unsigned char: code-point order for valid UTF-8. */
  return strcmp(a, b);
}

int tm_traceback_cmp(const tm_traceback_t *a, const tm_traceback_t *b) {
  size_t na = a->nframe, nb = b->nframe;
  size_t n = na < nb ? na : nb;
  for (size_t i = 1; i <= n; i++) {
    const tm_frame_t *fa = &a->frames[na - i], *fb = &b->frames[nb - i];
    int c = str_cmp(fa->filename, fb->filename);
    if (c)
      return c;
    if (fa->lineno != fb->lineno)
      return fa->lineno < fb->lineno ? -1 : 1;
  }
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

bool tm_traceback_equal(const tm_traceback_t *a, const tm_traceback_t *b) {
  if (a == b)
    return true;
  if (a->nframe != b->nframe || a->hash != b->hash)
    return false;
  if (a->frames == b->frames)
    return true; /* one interned traceback seen through two headers */
  for (size_t i = 0; i < a->nframe; i++) {
    const tm_frame_t *fa = &a->frames[i], *fb = &b->frames[i];
    if (fa->lineno != fb->lineno || str_cmp(fa->filename, fb->filename))
      return false;
  }
  return true;
}
