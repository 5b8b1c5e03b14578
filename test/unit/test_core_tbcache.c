/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_tbcache.c - the per-thread traceback cache and record memo
 * (traceback.c, shadow_stack.c) against an independent model of
 * tracemalloc_abi.h section 3: many random stacks of frame records
 * (inlined_at chains, unknown sites, a thread without runtime state,
 * OWN_FRAME, no site), each allocated from several times so that later
 * captures hit the cache and the memo (the records left as the last
 * capture tagged them), with slots changed in place between captures
 * (same depth, so only the slot contents tell), across limits 1, 3, 25 and
 * 36 (up to 40 records deep: the hashed entries' raw rows hold the slots
 * of a key up to 31 of them, a longer key is checked against the record)
 * and across tm_clear_traces (ids are reused) and module loads. Runs of
 * allocations from one stack exercise the inlined limit-1 fast path (memo
 * hit, exact cache entry). Every recorded traceback must be exactly the
 * model's. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "shadow_chain.h"
#include "shadow_stack.h" /* tm_thread_self */
#include "traceback.h"    /* tm_tb_debug_key_mask */
#include "tracemalloc.h"
#include "tracemalloc_abi.h"

enum { NSITES = 12, MAXD = 40, NSTACKS = 40 };

static struct tm_site sites[NSITES];
static char files[NSITES][16];

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

/* A stack: records naming slots[1..depth], on a thread with its runtime
 * state (own) or without (every record an unknown frame). */
typedef struct stack {
  const struct tm_site *slots[MAXD + 1];
  uintptr_t depth;
  bool own;
  const struct tm_site *site; /* may be NULL */
} stack_t;

static stack_t stacks[NSTACKS];

/* The model: the expanded sites, most recent first, cut at `limit`, and
 * the full count (capped at 65535). */
static unsigned model(const stack_t *s, unsigned limit,
                      const struct tm_site **out, unsigned *nout) {
  unsigned n = 0, total = 0;
#define PUSH(x)                                                                \
  do {                                                                         \
    if (n < limit)                                                             \
      out[n++] = (x);                                                          \
    total++;                                                                   \
  } while (0)
  for (const struct tm_site *c = s->site; c; c = c->inlined_at)
    PUSH(c);
  uintptr_t i = s->depth;
  if (s->site && (s->site->flags & TM_SITE_OWN_FRAME) && i > 0)
    i--;
  for (; i >= 1; i--) {
    const struct tm_site *c = s->own ? s->slots[i] : NULL;
    if (!c)
      PUSH(NULL);
    for (; c; c = c->inlined_at)
      PUSH(c);
  }
  if (total == 0) { // CPython's ('<unknown>', 0), total 1
    out[0] = NULL;
    n = total = 1;
  }
  *nout = n;
  return total;
#undef PUSH
}

/* What one allocation of the current batch must have recorded. */
typedef struct want {
  const struct tm_site *frames[MAXD * 4 + 8];
  unsigned n, total;
} want_t;

enum { BATCH = 100 };
static want_t batch[BATCH];

static bool same_frames(const tm_traceback_t *tb, const want_t *w) {
  if (!tb || tm_traceback_length(tb) != w->n)
    return false;
  for (unsigned k = 0; k < w->n; k++) {
    const tm_frame_t *f = &tm_traceback_frames(tb)[k];
    const char *file = w->frames[k] ? w->frames[k]->file : "<unknown>";
    unsigned line = w->frames[k] ? w->frames[k]->line : 0;
    if (strcmp(f->filename, file) != 0 || f->lineno != line)
      return false;
  }
  return true;
}

/* tm_get_traceback: the frames (it carries no total_nframe). */
static void check_frames(uintptr_t ptr, const want_t *w) {
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_traceback(0, ptr, &tb), TM_OK);
  CHECK(same_frames(tb, w));
  tm_traceback_free(tb);
}

/* A snapshot: the frames and total_nframe of every trace of the batch (the
 * size of the k-th allocation of the batch is k + 1). */
static void check_batch(unsigned count) {
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  if (!snap)
    return;
  const tm_trace_t *t = tm_snapshot_traces(snap);
  unsigned seen = 0;
  for (size_t i = 0; i < tm_snapshot_count(snap); i++) {
    size_t k = t[i].size - 1;
    if (t[i].domain != 0 || k >= count)
      continue;
    seen++;
    bool ok = same_frames(t[i].traceback, &batch[k]) &&
              tm_traceback_total_nframe(t[i].traceback) == batch[k].total;
    if (!ok)
      fprintf(stderr, "trace %zu: %zu frames (want %u), total %u (want %u)\n",
              k, tm_traceback_length(t[i].traceback), batch[k].n,
              tm_traceback_total_nframe(t[i].traceback), batch[k].total);
    CHECK(ok);
  }
  CHECK_EQ_INT(seen, count);
  tm_snapshot_free(snap);
}

static const struct tm_site *random_slot(void) {
  unsigned r = rnd(NSITES + 2);
  return r >= NSITES ? NULL : &sites[r];
}

static void random_stack(stack_t *s) {
  memset(s, 0, sizeof *s);
  s->depth = rnd(MAXD + 1);
  s->own = rnd(4) != 0; // sometimes no ring of its own
  for (uintptr_t i = 1; i <= MAXD; i++)
    s->slots[i] = random_slot();
  s->site = rnd(5) == 0 ? NULL : &sites[rnd(NSITES)];
}

/* The stack whose records are in the buffer as the last capture left them
 * (tagged), or NULL. */
static const stack_t *installed;

/* Install s as this thread's shadow stack: its records written anew, or,
 * when they are already there and unchanged, only linked again (as a loop
 * allocating from one place finds its callers' records). */
static void install(const stack_t *s, tm_thread_t *self) {
  if (s != installed)
    CHECK(tmt_set_stack(s->depth, s->slots));
  else
    __tm_shadow_top = s->depth ? &tmt_chain[0] : NULL;
  installed = s;
  // Without state: neither word (a parked tm_thread_self alone would be
  // set back from tm_thread_own by the slow path, shadow_stack.h).
  tm_thread_self = s->own ? self : NULL;
  tm_thread_own = s->own ? self : NULL;
}

static void run(unsigned limit) {
  tm_thread_t *self = tm_thread_self;
  installed = NULL;
  CHECK_EQ_INT(tm_start((int)limit), TM_OK);
  uintptr_t ptr = 0x1000;
  unsigned k = 0;
  stack_t *prev = NULL;
  for (int round = 0; round < 20000; round++) {
    // Mostly the stack of the previous allocation, as a loop allocating
    // from one place would: the memo and the exact (limit 1) entries of
    // the inlined fast path (traceback.h) hit; sometimes another stack,
    // another site on the same stack, a slot changed in place (same
    // depth: only the contents tell), or a module load (epoch bump).
    stack_t *s = prev && rnd(4) != 0 ? prev : &stacks[rnd(NSTACKS)];
    prev = s;
    if (rnd(8) == 0) { // change one slot in place: same depth
      s->slots[1 + rnd(MAXD)] = random_slot();
      installed = NULL;
    }
    if (rnd(8) == 0) // another site, same slots
      s->site = rnd(5) == 0 ? NULL : &sites[rnd(NSITES)];
    if (rnd(8) == 0) { // deeper or shallower, same slots
      s->depth = rnd(MAXD + 1);
      installed = NULL;
    }
    if (rnd(16) == 0) // a thread set up or torn down
      s->own = rnd(4) != 0;
    if (rnd(300) == 0) // a module load
      __tm_module_init_v4(sites, sites + NSITES);
    want_t *w = &batch[k];
    w->total = model(s, limit, w->frames, &w->n);
    install(s, self);
    ptr += 16;
    tm_core_on_alloc((void *)ptr, k + 1, s->site);
    __tm_shadow_top = NULL;
    tm_thread_self = tm_thread_own = self;
    check_frames(ptr, w);
    if (++k == BATCH) {
      check_batch(k);
      k = 0;
      // Forget every trace (their sizes are reused by the next batch),
      // and with them every interned id, which the next captures reuse.
      tm_clear_traces();
      // Give the first ids of the new epoch other tracebacks: a stale id
      // cached before the clear would now name the wrong one. Captured
      // without this thread's cache (as a thread without runtime state
      // is), so that it is not emptied for the epoch here but by the next
      // capture of the loop itself, which is what is tested.
      for (int j = 0; j < 2 * BATCH; j++) {
        stack_t other = stacks[rnd(NSTACKS)];
        other.depth = rnd(MAXD + 1);
        install(&other, NULL);
        installed = NULL;
        // Distinct addresses: most shards get a table again, so the next
        // allocation of the loop is not sent to the slow path (which
        // would empty the cache) by an empty shard.
        void *q = (void *)(uintptr_t)(0x100000 + 16 * j);
        tm_core_on_alloc(q, 1, &sites[rnd(NSITES)]);
        tm_core_on_free(q);
      }
      tm_thread_self = tm_thread_own = self;
      __tm_shadow_top = NULL;
    }
  }
  check_batch(k);
  tm_stop();
}

/* The exact (limit 1) cache entries are direct-mapped by (site, total) and
 * must compare the total, not only the site: two stacks of the same depth
 * whose totals differ by 256 (one slot expands to 257 frames) may share an
 * entry. Allocate at site S on stack B, then at another site on stack A
 * (the memo now holds A), then at S on A: the memo hits, the entry is B's
 * and must not be taken. (This is the only way to catch a fast path that
 * compares the site alone: with fewer than 256 frames, two totals never
 * share an entry for one site.) */
static struct tm_site chain[257];

static unsigned total_of_size(size_t size) {
  tm_snapshot_t *snap = NULL;
  unsigned total = 0;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  if (!snap)
    return 0;
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; i < tm_snapshot_count(snap); i++)
    if (t[i].size == size)
      total = tm_traceback_total_nframe(t[i].traceback);
  tm_snapshot_free(snap);
  return total;
}

static void test_total_collision(void) {
  for (int k = 0; k < 257; k++)
    chain[k] = (struct tm_site){"chain.c",
                                "inl",
                                k + 1 < 257 ? &chain[k + 1] : NULL,
                                (uint32_t)k + 1,
                                1,
                                0,
                                0};
  const struct tm_site *a[4] = {NULL, &chain[0], &sites[1], &sites[2]};
  const struct tm_site *b[4] = {NULL, &sites[0], &sites[1], &sites[2]};
  const struct tm_site *s1 = &sites[2], *s2 = &sites[4]; // one frame each
  tm_site_sections_add(chain, chain + 257);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  // Give the shards of these addresses a table first: an empty shard
  // sends an allocation to the slow path, whatever the cache says.
  for (uintptr_t p = 0x7000; p <= 0x7030; p += 0x10) {
    tm_core_on_alloc((void *)p, 1, s2);
    tm_core_on_free((void *)p);
  }
  CHECK(tmt_set_stack(3, b));
  tm_core_on_alloc((void *)(uintptr_t)0x7000, 1001, s1);
  CHECK(tmt_set_stack(3, a));
  tm_core_on_alloc((void *)(uintptr_t)0x7010, 1002, s2);
  tm_core_on_alloc((void *)(uintptr_t)0x7020, 1003, s1);
  tm_core_on_alloc((void *)(uintptr_t)0x7030, 1004, s1);
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(total_of_size(1001), 4);
  CHECK_EQ_INT(total_of_size(1002), 260);
  CHECK_EQ_INT(total_of_size(1003), 260);
  CHECK_EQ_INT(total_of_size(1004), 260);
  tm_stop();
}

int main(void) {
  TMT_CHAIN_BUFFER(MAXD + 1);
  for (int i = 0; i < NSITES; i++) {
    snprintf(files[i], sizeof files[i], "s%d.c", i);
    // A few chains (an inlined call's site points to its caller's) and a
    // few sites whose function pushed its own frame.
    const struct tm_site *up = i >= 3 && i % 3 == 0 ? &sites[i - 2] : NULL;
    uint32_t flags = i % 4 == 1 ? TM_SITE_OWN_FRAME : 0;
    sites[i] =
        (struct tm_site){files[i], "fn", up, (uint32_t)(100 + i), 1, flags, 0};
  }
  for (int k = 0; k < NSTACKS; k++)
    random_stack(&stacks[k]);
  tm_site_sections_add(sites, sites + NSITES);
  run(1);
  run(3);
  run(25);
  run(36);
  run(1);
#ifdef TM_DEBUG
  // Every hashed capture in one entry under one key: only the hit's check
  // (the raw row, or the record for a key of 32 slots or more) keeps one
  // stack from being given another's traceback.
  tm_tb_debug_key_mask = 0;
  run(3);
  run(36);
  tm_tb_debug_key_mask = ~(uint64_t)0;
#endif
  test_total_collision();
  return CHECK_DONE();
}
