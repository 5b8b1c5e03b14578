/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_traceback.c - traceback capture (tracemalloc_abi.h section 3)
 * with hand-made site descriptors and a hand-set shadow stack: inlined_at
 * expansion, OWN_FRAME, NULL slots, a thread without runtime state (every
 * record an unknown frame), the nframe cut, total_nframe (true depth,
 * capped at 65535), stacks deeper than 65535 (the innermost frames are
 * kept), the empty traceback, interning and copying of the strings, the
 * prefix counts of the record memo on stacks that change at any height.
 *
 * The stacks are frame records in main's frame (shadow_chain.h), as
 * instrumented code would have linked them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "internal.h"
#include "shadow_chain.h"
#include "shadow_stack.h"
#include "tb_expect.h"
#include "tracemalloc.h"
#include "tracemalloc_abi.h"

static const struct tm_site s_main = {"main.c", "main", NULL, 10, 1, 0, 0};
static const struct tm_site s_f = {"f.c", "f", NULL, 20, 1, 0, 0};
static const struct tm_site s_g = {"g.c", "g", NULL, 30, 1, 0, 0};
/* h inlined into g at g.c:30; the call in h is at h.c:40 */
static const struct tm_site s_h = {"h.c", "h", &s_g, 40, 1, 0, 0};
/* an allocation in k (k.c:50), k inlined into j (j.c:60), j into f
 * (f.c:21); the function holding it pushed its own frame */
static const struct tm_site s_j = {
    "j.c", "j", &(const struct tm_site){"f.c", "f", NULL, 21, 1, 0, 0}, 60, 1,
    0,     0};
static const struct tm_site s_alloc_own = {
    "k.c", "k", &s_j, 50, 1, TM_SITE_OWN_FRAME, 0};
static const struct tm_site s_alloc = {"k.c", "k", &s_j, 50, 1, 0, 0};

static const struct tm_site *stack[8];
/* Records at most (test_deep). */
enum { DEPTH = 70000 };
static tm_thread_t *saved_self;

static void set_stack(uintptr_t depth, const struct tm_site *const *frames) {
  CHECK(tmt_set_stack(depth, frames));
}

/* As a thread the runtime has not set up (or has torn down): no runtime
 * state, so its records are counted, never kept: every one is an unknown
 * frame, whatever it names. */
static void set_unset(uintptr_t depth, const struct tm_site *const *frames) {
  set_stack(depth, frames);
  tm_thread_self = NULL;
  tm_thread_own = NULL;
}

static void restore(void) {
  __tm_shadow_top = NULL;
  tm_thread_self = tm_thread_own = saved_self;
}

/* The snapshot trace of `domain` with `size` (sizes are unique here). */
static const tm_traceback_t *find(tm_snapshot_t *snap, unsigned domain,
                                  size_t size) {
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; i < tm_snapshot_count(snap); i++)
    if (t[i].domain == domain && t[i].size == size)
      return t[i].traceback;
  return NULL;
}

static void test_capture(int limit) {
  CHECK_EQ_INT(tm_start(limit), TM_OK);
  // main -> f -> (g with h inlined) -> tm_track: no site, slot 3 on top.
  stack[1] = &s_main;
  stack[2] = &s_f;
  stack[3] = &s_h;
  set_stack(3, stack);
  CHECK_EQ_INT(tm_track(1, 0x100, 1), 0);
  // An allocation site with OWN_FRAME: slot 3 (the function's own, stale)
  // is skipped; the site expands through its inlined_at chain.
  CHECK_EQ_INT(tm_track(1, 0x200, 2), 0); // same stack: interned
  tm_core_on_alloc((void *)0x300, 3, &s_alloc_own);
  // Without OWN_FRAME, slot 3 (the caller's call) follows the site.
  tm_core_on_alloc((void *)0x400, 4, &s_alloc);
  // Empty slots are unknown frames, still counted.
  stack[2] = NULL;
  set_stack(3, stack);
  tm_core_on_alloc((void *)0x500, 5, &s_alloc);
  // A thread without state: every record is one unknown frame, whatever
  // it names (s_h would expand to two frames).
  const struct tm_site *hs[] = {NULL, &s_h, &s_h, &s_h};
  set_unset(3, hs);
  CHECK_EQ_INT(tm_track(1, 0x600, 6), 0);
  restore();
  // Depth 0 and no site: CPython's ('<unknown>', 0), total_nframe 1.
  set_stack(0, stack);
  CHECK_EQ_INT(tm_track(1, 0x700, 7), 0);
  // A site at depth 0 with OWN_FRAME must not wrap around.
  tm_core_on_alloc((void *)0x800, 8, &s_alloc_own);
  restore();

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(snap), 8);
  CHECK_EQ_INT(tm_snapshot_traceback_limit(snap), limit);
  const tm_traceback_t *tb1 = find(snap, 1, 1);
  CHECK(tb1 != NULL && tb1 == find(snap, 1, 2));
  if (limit >= 4) {
    EXPECT(tb1, 4, "h.c:40", "g.c:30", "f.c:20", "main.c:10");
    EXPECT(find(snap, 0, 3), 5, "k.c:50", "j.c:60", "f.c:21", "f.c:20",
           "main.c:10");
    EXPECT(find(snap, 0, 4), 7, "k.c:50", "j.c:60", "f.c:21", "h.c:40",
           "g.c:30", "f.c:20", "main.c:10");
    EXPECT(find(snap, 0, 5), 7, "k.c:50", "j.c:60", "f.c:21", "h.c:40",
           "g.c:30", "<unknown>:0", "main.c:10");
    EXPECT(find(snap, 1, 6), 3, "<unknown>:0", "<unknown>:0", "<unknown>:0");
    EXPECT(find(snap, 0, 8), 3, "k.c:50", "j.c:60", "f.c:21");
  } else { // limit 2: cut, total_nframe is still the true depth
    EXPECT(tb1, 4, "h.c:40", "g.c:30");
    EXPECT(find(snap, 0, 3), 5, "k.c:50", "j.c:60");
    EXPECT(find(snap, 0, 4), 7, "k.c:50", "j.c:60");
    EXPECT(find(snap, 1, 6), 3, "<unknown>:0", "<unknown>:0");
  }
  EXPECT(find(snap, 1, 7), 1, "<unknown>:0");
  // Function names are kept; strings are copies (dlclose-safe).
  const tm_frame_t *f0 = tm_traceback_frames(find(snap, 0, 3));
  CHECK(f0 && f0->function && strcmp(f0->function, "k") == 0);
  CHECK(f0 && f0->filename != s_alloc.file);
  tm_snapshot_free(snap);
  tm_stop();
}

/* total_nframe of a stack of `depth` slots with no site on top: each slot
 * is one frame plus its inlined_at chain (NULL: one unknown frame). The
 * reference the runtime's count (and its per-thread memo) must match. */
static uint32_t expected_total(const struct tm_site *const *frames,
                               uintptr_t depth) {
  uint32_t n = 0;
  for (uintptr_t k = 1; k <= depth; k++)
    for (const struct tm_site *s = frames[k]; n++, s && s->inlined_at;)
      s = s->inlined_at;
  return n;
}

/* The record memo (shadow_stack.c) keeps the prefix counts of the last
 * stack: consecutive captures on stacks that share their bottom slots and
 * differ above, by one slot or many, in the expansion length of a slot
 * (s_h is two frames), and in depth, must each get the true total (a stale
 * prefix count would give the last stack's). */
static void test_memo_prefix(int limit) {
  CHECK_EQ_INT(tm_start(limit), TM_OK);
  static const struct tm_site *deep[80];
  const struct tm_site *pool[] = {&s_main, &s_f, &s_g, &s_h, NULL, &s_j};
  uint64_t rng = 12345;
  for (int k = 1; k < 80; k++)
    deep[k] = k % 3 ? &s_f : &s_h;
  // (slot to change, new depth); slot 0: no change.
  static const struct {
    int slot, depth;
  } steps[] = {{0, 20},  {20, 20}, {19, 20}, {10, 20}, {1, 20},  {0, 20},
               {0, 19},  {0, 21},  {3, 21},  {21, 21}, {0, 63},  {0, 64},
               {0, 65},  {64, 70}, {66, 70}, {5, 70},  {0, 70},  {0, 2},
               {2, 2},   {0, 0},   {0, 20},  {20, 20}, {20, 20}, {11, 20},
               {12, 20}, {13, 20}, {14, 20}, {4, 20},  {0, 1},   {0, 20}};
  enum { NSTEPS = sizeof steps / sizeof *steps };
  uint32_t want[NSTEPS];
  for (int r = 0; r < NSTEPS; r++) {
    if (steps[r].slot) {
      rng = rng * 6364136223846793005ull + 1442695040888963407ull;
      unsigned pick = (unsigned)((rng >> 33) % 6);
      // Always a different pointer, so that the memo sees a change there.
      if (pool[pick] == deep[steps[r].slot])
        pick = (pick + 1) % 6;
      deep[steps[r].slot] = pool[pick];
    }
    set_stack((uintptr_t)steps[r].depth, deep);
    want[r] = expected_total(deep, (uintptr_t)steps[r].depth);
    if (want[r] == 0)
      want[r] = 1; // no frame at all: CPython's ('<unknown>', 0)
    CHECK_EQ_INT(tm_track(2, 0x1000 + (uintptr_t)r * 16, 100 + (size_t)r), 0);
  }
  restore();
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  for (int r = 0; r < NSTEPS; r++) {
    const tm_traceback_t *tb = find(snap, 2, 100 + (size_t)r);
    CHECK(tb != NULL);
    if (tb && tm_traceback_total_nframe(tb) != want[r])
      fprintf(stderr, "step %d (limit %d): total_nframe %u, want %u\n", r,
              limit, tm_traceback_total_nframe(tb), want[r]);
    CHECK(tb && tm_traceback_total_nframe(tb) == want[r]);
  }
  tm_snapshot_free(snap);
  tm_stop();
}

/* tm_track(domain, ptr, size) on this thread; returns the key of the
 * traceback-cache entry it wrote (shadow_stack.h), 0 if none. */
static uintptr_t track_cache_key(unsigned domain, uintptr_t ptr, size_t size) {
  static tm_tb_cache_entry_t before[TM_TB_CACHE_SIZE];
  memcpy(before, saved_self->cache, sizeof before);
  CHECK_EQ_INT(tm_track(domain, ptr, size), 0);
  for (int k = 0; k < TM_TB_CACHE_SIZE; k++) {
    const tm_tb_cache_entry_t *e = &saved_self->cache[k];
    if (e->key != 0 && memcmp(e, &before[k], sizeof *e) != 0)
      return e->key;
  }
  return 0;
}

/* Deeper than 65535: total_nframe saturates, the kept frames are the innermost
 * ones, from slot depth down, and two stacks that differ only there are told
 * apart, also on the second capture (the cache), and have different cache keys:
 * the key is made of the innermost slots too (it once was made of slots 65535
 * and below, which gave both stacks one key). */
static void test_deep(void) {
  const struct tm_site **deep =
      mmap(NULL, (DEPTH + 1) * sizeof *deep, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(deep != MAP_FAILED);
  if (deep == MAP_FAILED)
    return;
  for (int i = 1; i <= DEPTH; i++)
    deep[i] = &s_f;
  deep[DEPTH] = &s_main;
  deep[DEPTH - 1] = &s_h; // expands to h, g
  CHECK_EQ_INT(tm_start(5), TM_OK);
  set_stack(DEPTH, deep);
  uintptr_t key_a = track_cache_key(2, 0x10, 1);
  CHECK_EQ_INT(tm_track(2, 0x11, 2), 0);
  deep[DEPTH] = &s_g; // the innermost slot only
  set_stack(DEPTH, deep);
  uintptr_t key_b = track_cache_key(2, 0x20, 3);
  CHECK_EQ_INT(tm_track(2, 0x21, 4), 0);
  CHECK(key_a != 0 && key_b != 0 && key_a != key_b);
  // With a site that pushed its own frame: slot DEPTH is skipped.
  tm_core_on_alloc((void *)0x30, 5, &s_alloc_own);
  tm_core_on_alloc((void *)0x31, 6, &s_alloc_own);
  // Without the thread's state: unknown frames only.
  set_unset(DEPTH, deep);
  CHECK_EQ_INT(tm_track(2, 0x40, 7), 0);
  restore();
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  for (size_t size = 1; size <= 2; size++)
    EXPECT(find(snap, 2, size), 65535, "main.c:10", "h.c:40", "g.c:30",
           "f.c:20", "f.c:20");
  for (size_t size = 3; size <= 4; size++)
    EXPECT(find(snap, 2, size), 65535, "g.c:30", "h.c:40", "g.c:30", "f.c:20",
           "f.c:20");
  for (size_t size = 5; size <= 6; size++)
    EXPECT(find(snap, 0, size), 65535, "k.c:50", "j.c:60", "f.c:21", "h.c:40",
           "g.c:30");
  EXPECT(find(snap, 2, 7), 65535, "<unknown>:0", "<unknown>:0", "<unknown>:0",
         "<unknown>:0", "<unknown>:0");
  tm_snapshot_free(snap);
  tm_stop();
  munmap(deep, (DEPTH + 1) * sizeof *deep);
}

/* tm_get_traceback: frames of one block, total_nframe None. */
static void test_get_traceback(void) {
  CHECK_EQ_INT(tm_start(25), TM_OK);
  stack[1] = &s_main;
  stack[2] = &s_f;
  set_stack(2, stack);
  tm_core_on_alloc((void *)0x1234, 10, &s_alloc_own);
  restore();
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_object_traceback((void *)0x1234, &tb), TM_OK);
  EXPECT(tb, TM_TOTAL_NFRAME_NONE, "k.c:50", "j.c:60", "f.c:21", "main.c:10");
  tm_traceback_free(tb);
  tb = (tm_traceback_t *)&tb;
  CHECK_EQ_INT(tm_get_traceback(3, 0x1234, &tb), TM_OK); // other domain
  CHECK(tb == NULL);
  tm_core_on_free((void *)0x1234);
  CHECK_EQ_INT(tm_get_object_traceback((void *)0x1234, &tb), TM_OK);
  CHECK(tb == NULL);
  tm_stop();
}

int main(void) {
  TMT_CHAIN_BUFFER(DEPTH);
  saved_self = tm_thread_self;
  // The constructor gave the main thread its runtime state.
  CHECK(saved_self != NULL);
  const struct tm_site *registered[] = {&s_main, &s_f, &s_g, &s_h, &s_j};
  for (size_t k = 0; k < sizeof registered / sizeof *registered; k++)
    tmt_register_site(registered[k]);
  test_capture(25);
  test_capture(2);
  test_memo_prefix(1);
  test_memo_prefix(25);
  test_deep();
  test_get_traceback();
  return CHECK_DONE();
}
