/* test_core_traceback.c - traceback capture (tracemalloc_abi.h section 3)
 * with hand-made site descriptors and a hand-set shadow stack: inlined_at
 * expansion, OWN_FRAME, NULL and out-of-capacity slots, the nframe cut,
 * total_nframe (true depth, capped at 65535), the empty traceback, interning
 * and copying of the strings.
 *
 * The test thread's real shadow-stack words are saved and replaced by a
 * local array, as instrumented code would have filled them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "internal.h"
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
static uintptr_t saved_depth, saved_cap;
static const struct tm_site **saved_frames;

static void set_stack(uintptr_t depth, const struct tm_site **frames,
                      uintptr_t cap) {
  __tm_depth = depth;
  __tm_frames = frames;
  __tm_frames_cap = cap;
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

/* Compare a traceback with "file:line" strings, most recent first. */
static void expect(const tm_traceback_t *tb, uint32_t total, int n,
                   const char **want, int line) {
  int ok = tb && (int)tm_traceback_length(tb) == n &&
           tm_traceback_total_nframe(tb) == total;
  for (int i = 0; ok && i < n; i++) {
    const tm_frame_t *f = &tm_traceback_frames(tb)[i];
    char buf[64];
    snprintf(buf, sizeof buf, "%s:%u", f->filename, f->lineno);
    ok = strcmp(buf, want[i]) == 0;
    if (!ok)
      fprintf(stderr, "line %d: frame %d is %s, want %s\n", line, i, buf,
              want[i]);
  }
  if (tb && !ok)
    fprintf(stderr, "line %d: %zu frames, total %u\n", line,
            tm_traceback_length(tb), tm_traceback_total_nframe(tb));
  CHECK(ok);
}
#define EXPECT(tb, total, ...)                                                 \
  do {                                                                         \
    const char *w_[] = {__VA_ARGS__};                                          \
    expect((tb), (total), (int)(sizeof w_ / sizeof *w_), w_, __LINE__);        \
  } while (0)

static void test_capture(int limit) {
  CHECK_EQ_INT(tm_start(limit), TM_OK);
  // main -> f -> (g with h inlined) -> tm_track: no site, slot 3 on top.
  stack[1] = &s_main;
  stack[2] = &s_f;
  stack[3] = &s_h;
  set_stack(3, stack, 8);
  CHECK_EQ_INT(tm_track(1, 0x100, 1), 0);
  // An allocation site with OWN_FRAME: slot 3 (the function's own, stale)
  // is skipped; the site expands through its inlined_at chain.
  CHECK_EQ_INT(tm_track(1, 0x200, 2), 0); // same stack: interned
  tm_core_on_alloc((void *)0x300, 3, &s_alloc_own);
  // Without OWN_FRAME, slot 3 (the caller's call) follows the site.
  tm_core_on_alloc((void *)0x400, 4, &s_alloc);
  // Empty and out-of-capacity slots are unknown frames, still counted.
  stack[2] = NULL;
  tm_core_on_alloc((void *)0x500, 5, &s_alloc);
  set_stack(3, stack, 2);
  CHECK_EQ_INT(tm_track(1, 0x600, 6), 0);
  // Depth 0 and no site: CPython's ('<unknown>', 0), total_nframe 1.
  set_stack(0, stack, 8);
  CHECK_EQ_INT(tm_track(1, 0x700, 7), 0);
  // A site at depth 0 with OWN_FRAME must not wrap around.
  tm_core_on_alloc((void *)0x800, 8, &s_alloc_own);
  set_stack(saved_depth, saved_frames, saved_cap);

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
    EXPECT(find(snap, 1, 6), 3, "<unknown>:0", "<unknown>:0", "main.c:10");
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

/* Deeper than 65535: total_nframe saturates, the kept frames are the top. */
static void test_deep(void) {
  enum { DEPTH = 70000 };
  const struct tm_site **deep =
      mmap(NULL, (DEPTH + 1) * sizeof *deep, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(deep != MAP_FAILED);
  for (int i = 1; i <= DEPTH; i++)
    deep[i] = &s_f;
  deep[DEPTH] = &s_main;
  CHECK_EQ_INT(tm_start(3), TM_OK);
  set_stack(DEPTH, deep, DEPTH + 1);
  CHECK_EQ_INT(tm_track(2, 0x10, 1), 0);
  set_stack(1u << 30, deep, DEPTH + 1); // far beyond the array: unknown
  CHECK_EQ_INT(tm_track(2, 0x20, 2), 0);
  set_stack(saved_depth, saved_frames, saved_cap);
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 2, 1), 65535, "main.c:10", "f.c:20", "f.c:20");
  EXPECT(find(snap, 2, 2), 65535, "<unknown>:0", "<unknown>:0", "<unknown>:0");
  tm_snapshot_free(snap);
  tm_stop();
  munmap(deep, (DEPTH + 1) * sizeof *deep);
}

/* tm_get_traceback: frames of one block, total_nframe None. */
static void test_get_traceback(void) {
  CHECK_EQ_INT(tm_start(25), TM_OK);
  stack[1] = &s_main;
  stack[2] = &s_f;
  set_stack(2, stack, 8);
  tm_core_on_alloc((void *)0x1234, 10, &s_alloc_own);
  set_stack(saved_depth, saved_frames, saved_cap);
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
  saved_depth = __tm_depth;
  saved_frames = __tm_frames;
  saved_cap = __tm_frames_cap;
  CHECK(saved_cap > 0); // the constructor gave the main thread its array
  test_capture(25);
  test_capture(2);
  test_deep();
  test_get_traceback();
  return CHECK_DONE();
}
