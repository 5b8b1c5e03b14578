/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* shadow_below.c - tm_shadow_below (shadow_stack.h): total_nframe at
 * traceback limit 1, the common capture. At limit 1 a traceback is its
 * site and total_nframe, so a capture needs one number, the frames of the
 * records below the site; it does not need the sites themselves, which is
 * what tm_shadow_gather's memo arrays and their placement are for. This
 * walk reads the records pushed since the last capture, as the memo's
 * does, and stops at the first tagged record whose count below it the
 * "below memo" holds and can vouch for.
 *
 * The below memo: a direct-mapped table in the thread's mapping (the rows
 * of the hashed cache entries, which limit 1 does not use:
 * tm_thread_t.below), indexed by a record's address and its tagged site
 * word (frames of different functions come and go at one address: Lua's
 * allocation paths found their entries 23% of the time when the address
 * alone picked one, nearly always with both): {address, the site word
 * the walk tagged, generation << 32 | frames up to and including the
 * record << 16 | frames below it}. The walk writes an entry for each
 * record it tags; an entry holds for the record while the record's site
 * word is the one it tagged (a frame that moves to its next site by a
 * distance keeps its tag: then the entry no longer says how many frames
 * the record is) and its generation is the thread's (`below_gen`).
 * tm_tb_thread_sync_slow starts a new generation when the limit or the
 * epoch changes (other limits tag records and keep no entries, and a
 * module may have come or gone), and so does every capture at limit 1
 * that tm_shadow_gather makes and that tags records (its tags have no
 * entry: an entry left from an older frame at that address must not
 * vouch for them).
 *
 * Why a tagged record's entry can be trusted. The count below a record is
 * fixed while that frame is live (its callers are suspended in their calls:
 * their records and sites do not change). A frame entered anew at an
 * address stores a whole, untagged site before it calls anything
 * (tracemalloc_abi.h section 3), so a tagged record with a live callee is
 * the frame a capture tagged, and that capture wrote its entry. The one
 * record that may hold an older frame's tag is the top of a context a
 * signal handler interrupted between its push and its first site store
 * (shadow_gather.c, "Memo"): its prev is right, its site and entry are the
 * older frame's. So the walk stops at tagged record S only when S's
 * caller C vouches for it: C is tagged and its entry holds (C has a live
 * callee, so its entry is its own frame's), and the frames up to and
 * including C, which are the frames below S now, whatever S is, are the
 * count below S that S's entry holds. At the bottom record (no caller)
 * that count must be 0. Otherwise S is read like any untagged record, as a
 * walk without the memo would. A stop reads no site: the entries' counts
 * come from sites a walk checked (tm_site_checked) when it tagged them,
 * and a site of an unloaded image is never read (its record, if the chain
 * still reaches it, is dead).
 *
 * The common case reads no site at all (below_chained): the frames
 * pushed since the last capture are usually the same functions, entered
 * again at the same addresses, making the same calls (an interpreter's
 * allocation path: Lua re-enters 3 to 4 such frames per allocation). Such
 * a record is untagged, but its entry holds its site word, and the
 * entry's two counts are its site's frames apart (the site was checked
 * when the entry was made; a module unload starts a new epoch, so the
 * site is still mapped and still the same site). Its count below is right
 * when the entry's equals the count up to the record below it: so when
 * every record read has such an entry, the counts chain down to a stop,
 * the entries are all still right and only the tags are written.
 * Otherwise the general walk reads the records, checks their sites and
 * rewrites the entries.
 *
 * The walk also resets the memo of tm_shadow_gather (memo_len = 0) when it
 * tags a record, since that memo trusts only tags it set itself.
 *
 * The path memo. Even the common case reads an entry per record pushed
 * since the last capture, and the stop's caller's entry to vouch for the
 * stop: about 280 instructions a capture on Lua and 350 on SQLite, where
 * the same few paths (an interpreter's allocation paths, 4 to 5 records
 * from the first live record to the stop on Lua, 7 to 9 on SQLite)
 * recur. So each walk that ends well also keeps its path: the records
 * from the first one read down to and including the stop (at most
 * TM_PATH_RECS; all of them when the chain ends first), by
 * address and untagged site word, the frames those records expand to,
 * and the record below the path (the stop's caller; NULL when the chain
 * ends). An entry is looked for in the set its first record's address and
 * site word pick (two ways: one allocator wrapper starts many paths),
 * and holds for a capture whose records are those addresses with those
 * site words, linked in that order to the same record below, in the
 * current generation. Then the count is the path's frames plus the frames
 * up to and including the record below it, which its entry gives when
 * that record is tagged and its entry holds: it has a live callee (the
 * path's last record), so, by the argument above, its tag and entry are
 * its own frame's, and no vouch is needed (the path keeps where that entry
 * is, so a hit does not hash for it). The records of a path are not
 * tagged by a hit: nothing needs their tags while the path holds, and a
 * miss reads them as before.
 *
 * Why a path's count can be trusted. The frames a record expands to
 * depend only on its site word, compared whole (the tag aside); the links
 * are compared (each record's prev with the address the entry has for the
 * next record, whose image is compared at that address: the chain the
 * records make is the entry's); the count below the path is read from the
 * record below,
 * as a walk's stop would be. Sites are checked when a path is kept (a path
 * with an unknown frame is not kept), and an unloaded image starts a new
 * generation (tm_tb_thread_sync_slow) before its sites could be met again.
 * The addresses read were inside a stack when the path was kept; the
 * highest one (the last record's) is checked against this stack's top
 * before any is read, and they rise from the first record, which the
 * capture checked: a hit reads only inside this stack, as a walk does.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "shadow_stack.h"
#include "site_frames.h"
#include "site_sections.h"

/* The entry of the record at a whose tagged site word is `tagged`.
 * Records are 8-aligned and at least 16 bytes apart (two pointers each,
 * one per frame): address bits 4 and up spread a chain's records over the
 * table; sites are 40 bytes apart, their bits 3 and up tell the frames
 * met at one address apart. */
static inline uintptr_t below_index(uintptr_t a, uintptr_t tagged) {
  return ((a >> 4) ^ (tagged >> 3)) & (TM_BELOW_SLOTS - 1);
}
static inline uintptr_t *below_entry(tm_thread_t *t, uintptr_t a,
                                     uintptr_t tagged) {
  return t->below[below_index(a, tagged)];
}

#define COUNT_MASK 0xffffu

/* The entry's counts word for the record at a whose site word is sv, if
 * the entry holds for it (the comment at the top), else 0 (a held entry's
 * word is never 0: it counts at least the record's own frame). */
static inline uint64_t held_in(tm_thread_t *t, uintptr_t a, uintptr_t sv,
                               uint64_t gen) {
  const uintptr_t *e = below_entry(t, a, sv);
  uint64_t w = e[2];
  if (e[0] != a || e[1] != sv || w >> 32 != gen)
    return 0;
  return w;
}
static inline uint64_t held(tm_thread_t *t, uintptr_t a, uintptr_t sv) {
  return held_in(t, a, sv, t->below_gen);
}

/* The frames up to and including record c (at an address a walk would
 * read), from its entry, when c is tagged and its entry holds; else 0. */
static inline __attribute__((always_inline)) uint32_t
tagged_upto(tm_thread_t *t, const struct tm_frame_record *c) {
  uintptr_t csv = (uintptr_t)c->site;
  if (!(csv & 1))
    return 0;
  uint64_t w = held(t, (uintptr_t)c, csv);
  return (uint32_t)(w >> 16) & COUNT_MASK;
}

/* Does the caller of tagged record r, which is at a and whose entry says
 * `b` frames are below it, vouch for that count? (The comment at the
 * top.) */
static inline bool vouched(tm_thread_t *t, const struct tm_frame_record *r,
                           uintptr_t a, uintptr_t top, uint32_t b) {
  const struct tm_frame_record *c = r->prev;
  if (!c)
    return b == 0;
  uintptr_t ca = (uintptr_t)c; // checked as the walk would before reading
  if (ca <= a || ca > top || (ca & (_Alignof(struct tm_frame_record) - 1)))
    return false;
  uint32_t u = tagged_upto(t, c);
  return u && u == b;
}

_Static_assert(sizeof(((tm_thread_t *)0)->below) +
                       sizeof(((tm_thread_t *)0)->below_paths) <=
                   sizeof(((tm_thread_t *)0)->cache_raw),
               "the limit-1 memos share the raw rows' memory");

/* A path entry (the comment at the top): word 0, generation << 32 | the
 * index in `below` of the entry of the record below the path << 8 | n
 * (records); 1, the frames of the n records; 2, the address of the last
 * (highest) record; 3, the first record's; then, at 4 + 2i, an image of
 * record i (0..n-1, the first one first) as a hit must find it: its prev
 * (the address of record i + 1; for the last one, the record below the
 * path, 0 for none) and its untagged site word, which a hit compares
 * with the records (tm_path_images_match, shadow_stack.h). The entries are in
 * sets of TM_PATH_WAYS, picked by the first record's address and site
 * word: the paths that start at one record (an allocator's wrapper,
 * entered from many callers) do not evict each other at once. */
_Static_assert(TM_PATH_WAYS == 2, "path_keep and path_count use two ways");
_Static_assert(4 + 2 * TM_PATH_RECS <= TM_PATH_WORDS, "a path fits its entry");
_Static_assert(offsetof(tm_thread_t, below_paths) % 16 == 0 &&
                   (4 * sizeof(uintptr_t)) % 16 == 0 &&
                   (TM_PATH_WORDS * sizeof(uintptr_t)) % 16 == 0,
               "a path entry's images are 16-byte aligned");
static inline uintptr_t (*path_set(tm_thread_t *t, uintptr_t a,
                                   uintptr_t sv))[TM_PATH_WORDS] {
  uintptr_t set = ((a >> 4) ^ (sv >> 3)) & (TM_BELOW_PATHS / TM_PATH_WAYS - 1);
  return &t->below_paths[set * TM_PATH_WAYS];
}

/* Keep the path from `first` down to `below` (not included), whose records
 * expand to `frames` frames, if it has at most TM_PATH_RECS records: first
 * in its set, the other way's path dropped. The records were just read and
 * their sites checked. */
static __attribute__((noinline)) void
path_keep(tm_thread_t *t, const struct tm_frame_record *first,
          const struct tm_frame_record *below, uint32_t frames) {
  uintptr_t w[TM_PATH_WORDS];
  uintptr_t n = 0, last = 0;
  for (const struct tm_frame_record *q = first; q != below; q = q->prev) {
    if (n == TM_PATH_RECS)
      return;
    last = (uintptr_t)q;
    w[4 + 2 * n] = (uintptr_t)q->prev;
    w[5 + 2 * n] = (uintptr_t)q->site & ~(uintptr_t)1;
    n++;
  }
  if (n == 0)
    return;
  // The entry of the record below, by its tagged site word now (it vouched
  // for the stop): a hit reads that entry without hashing.
  uintptr_t bx =
      below ? below_index((uintptr_t)below, (uintptr_t)below->site) : 0;
  w[0] = t->below_gen << 32 | bx << 8 | n;
  w[1] = frames;
  w[2] = last;
  w[3] = (uintptr_t)first;
  uintptr_t(*set)[TM_PATH_WORDS] = path_set(t, w[3], w[5]);
  memcpy(set[1], set[0], sizeof set[1]);
  memcpy(set[0], w, (4 + 2 * n) * sizeof w[0]);
}

/* The count below the capture when path entry p holds for the records from
 * r (the first live one, non-NULL, at a0 with site word sv0) down;
 * TM_BELOW_NONE when it does not. top: the highest address a record may
 * start at. */
static inline __attribute__((always_inline)) uint32_t
path_try(tm_thread_t *t, const uintptr_t *p, uintptr_t a0, uintptr_t sv0,
         uint64_t gen, uintptr_t top) {
  uint64_t w0 = p[0];
  if (p[3] != a0 || p[5] != sv0 || w0 >> 32 != gen)
    return TM_BELOW_NONE;
  // The records' addresses rise from a0 (the capture checked it) to p[2]:
  // all in this stack when that one is, as they were when the path was
  // kept. So each image's address may be read before the chain says the
  // record is there.
  if (p[2] > top)
    return TM_BELOW_NONE;
  uintptr_t a = tm_path_images_match(a0, p + 4, p + 4 + 2 * (w0 & 0xff));
  if (a == TM_PATH_DIFFERS)
    return TM_BELOW_NONE;
  const struct tm_frame_record *b = (const struct tm_frame_record *)a;
  uint32_t c = (uint32_t)p[1];
  if (b) {
    // Above the path's last record and aligned: checked when it was kept.
    if ((uintptr_t)b > top)
      return TM_BELOW_NONE;
    // Tagged, and the entry the path names holds for it: tagged_upto's
    // test, at the entry b's site word picked when the path was kept (a
    // site word that moved since would pick another: a miss here). An
    // entry's site word is always tagged, so equal to it is tagged.
    uintptr_t bsv = (uintptr_t)b->site;
    const uintptr_t *e = t->below[(w0 >> 8) & (TM_BELOW_SLOTS - 1)];
    uint64_t w = e[2];
    if (e[0] != (uintptr_t)b || e[1] != bsv || w >> 32 != gen)
      return TM_BELOW_NONE;
    c += (uint32_t)(w >> 16) & COUNT_MASK;
  }
  return c < TM_TOTAL_CAP ? c : TM_TOTAL_CAP;
}

/* path_try on each way of r's set. */
static inline __attribute__((always_inline)) uint32_t
path_count(tm_thread_t *t, const struct tm_frame_record *r, uintptr_t top,
           const struct tm_site **site0) {
  uintptr_t a0 = (uintptr_t)r, sv0 = (uintptr_t)r->site & ~(uintptr_t)1;
  const uintptr_t(*set)[TM_PATH_WORDS] = path_set(t, a0, sv0);
  uint64_t gen = t->below_gen;
  uint32_t c = path_try(t, set[0], a0, sv0, gen, top);
  if (TM_UNLIKELY(c == TM_BELOW_NONE)) {
    c = path_try(t, set[1], a0, sv0, gen, top);
    if (c == TM_BELOW_NONE)
      return c;
  }
  if (site0) // checked when the path was kept
    *site0 = (const struct tm_site *)sv0;
  return c;
}

/* The common capture, in one pass and with no site read: every record
 * since the last capture is one whose entry holds its site word (a frame
 * entered again at the address where an earlier one with the same site
 * was tagged: its site's frames are the entry's two counts apart), the
 * counts chain (each record's count below is the next one's count up to
 * and including it), and the walk ends at a tagged record its caller
 * vouches for. Then each of them has the count its entry says (by
 * induction up from the stop), the entries need no write, and the records
 * get their tags. TM_BELOW_NONE when any of that fails: the general walk
 * below then reads the records. r is the first record to read (non-NULL),
 * [lo, top] where records may start. */
static inline __attribute__((always_inline)) uint32_t
below_chained(tm_thread_t *t, const struct tm_frame_record *r, uintptr_t lo,
              uintptr_t top, const struct tm_site **site0) {
  const struct tm_frame_record *first = r;
  uint64_t gen = t->below_gen;
  uintptr_t a = (uintptr_t)r;
  // No alignment test: an entry holds only for an address a walk checked.
  if (a < lo || a > top)
    return TM_BELOW_NONE;
  uintptr_t sv = (uintptr_t)r->site;
  uint64_t w = held_in(t, a, sv | 1, gen);
  if (!w)
    return TM_BELOW_NONE;
  uint32_t total = (uint32_t)(w >> 16) & COUNT_MASK;
  if (site0) // the entry holds: a site a walk checked
    *site0 = (const struct tm_site *)(sv & ~(uintptr_t)1);
  for (;;) {
    uint32_t below = (uint32_t)w & COUNT_MASK;
    if ((sv & 1) && vouched(t, r, a, top, below))
      break;
    uintptr_t prev = a;
    r = r->prev;
    a = (uintptr_t)r;
    if (!r || a <= prev || a > top)
      return TM_BELOW_NONE;
    sv = (uintptr_t)r->site;
    // Held, and its count up to it is `below`: the entry's generation and
    // that count in one compare.
    const uintptr_t *e = below_entry(t, a, sv | 1);
    w = e[2];
    if (e[0] != a || e[1] != (sv | 1) || w >> 16 != (gen << 16 | below))
      return TM_BELOW_NONE;
  }
  if (total < TM_TOTAL_CAP) // the stop's caller vouched for it
    path_keep(t, first, r->prev, total - ((uint32_t)w & COUNT_MASK));
  // The records above the stop get their tags (the same chain again: a
  // push is the only writer of a prev, and none ran since).
  if (first != r) {
    if (t->memo_len)
      t->memo_len = 0;
    for (const struct tm_frame_record *q = first; q != r; q = q->prev)
      // Relaxed: only this thread and its handlers read it.
      __atomic_store_n(&((struct tm_frame_record *)q)->site,
                       (const struct tm_site *)((uintptr_t)q->site | 1),
                       __ATOMIC_RELAXED);
  }
  return total;
}

/* The walks, when no path entry holds: r is the first record to read
 * (non-NULL), [lo, top] where records may start. Out of line: the path
 * memo's hit then saves no registers for them. */
static __attribute__((noinline)) uint32_t
below_walk(tm_thread_t *t, const struct tm_frame_record *r, uintptr_t lo,
           uintptr_t top, const struct tm_site **site0) {
  uint32_t c = below_chained(t, r, lo, top, site0);
  if (c != TM_BELOW_NONE)
    return c;
  const struct tm_frame_record *first = r;
  // The records read, top-down: their sites (NULL: an unknown frame) and
  // addresses, then the count below the lowest one.
  const struct tm_site **ss = t->gather_scratch_site;
  uintptr_t *sa = t->gather_scratch_addr;
  uintptr_t k = 0;
  c = 0;
  const struct tm_site *valid = NULL; // tm_site_checked's cache
  uintptr_t vb = 0, vlen = 0;
  uint32_t c_below = 0; // frames below the stop (none: the chain ended)
  for (; r; r = r->prev) {
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a < lo || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1))))
      return TM_BELOW_NONE; // an unknown end: the general walk says so
    lo = a + 1;
    uintptr_t sv = (uintptr_t)r->site;
    if (sv & 1) {
      uint64_t w = held(t, a, sv);
      if (w && vouched(t, r, a, top, (uint32_t)(w & COUNT_MASK))) {
        c = (uint32_t)(w >> 16) & COUNT_MASK;
        c_below = (uint32_t)w & COUNT_MASK;
        break;
      }
    }
    const struct tm_site *s = tm_site_checked(
        (const struct tm_site *)(sv & ~(uintptr_t)1), &valid, &vb, &vlen);
    ss[k] = s;
    sa[k] = a;
    if (TM_UNLIKELY(++k == TM_GATHER_SLOTS - 1))
      return TM_BELOW_NONE; // the cap: the general walk
  }
  // Bottom-up: each record read gets its count below, and a tag and an
  // entry when its site is valid (program data never holds a site
  // pointer; an unknown frame is read again next time).
  if (site0) // read and checked, or the stop (its entry holds)
    *site0 =
        k ? ss[0]
          : (const struct tm_site *)((uintptr_t)first->site & ~(uintptr_t)1);
  if (k && t->memo_len)
    t->memo_len = 0;
  uint64_t gen = (uint64_t)t->below_gen << 32;
  bool known = true; // every site read is one (a path may be kept)
  for (uintptr_t x = k; x > 0;) {
    const struct tm_site *s = ss[--x];
    known = known && s;
    uint32_t n = c + tm_site_frames(s);
    n = n < TM_TOTAL_CAP ? n : TM_TOTAL_CAP;
    if (s) {
      uintptr_t a = sa[x];
      uintptr_t tagged = (uintptr_t)s | 1;
      uintptr_t *e = below_entry(t, a, tagged);
      e[0] = a;
      e[1] = tagged;
      e[2] = gen | (uint64_t)n << 16 | c;
      // Relaxed: only this thread and its handlers read it.
      __atomic_store_n(&((struct tm_frame_record *)a)->site,
                       (const struct tm_site *)tagged, __ATOMIC_RELAXED);
    }
    c = n;
  }
  if (known && c < TM_TOTAL_CAP)
    path_keep(t, first, r ? r->prev : NULL, c - c_below);
  return c;
}

/* tm_shadow_below, and with site0 non-NULL also the site of the first
 * record it reads (NULL: none, or an unknown one). */
static inline __attribute__((always_inline)) uint32_t
below(tm_thread_t *t, bool own, const struct tm_site **site0, bool paths) {
  if (site0)
    *site0 = NULL;
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  // The capture runs on the thread's stack (not a handler's alternate
  // stack) and is not a replay: else tm_shadow_gather's general walk.
  if (TM_UNLIKELY(fa - slo >= shi - slo || tm_shadow_replay))
    return TM_BELOW_NONE;
  const struct tm_frame_record *r = __tm_shadow_top;
  uintptr_t top = shi - sizeof *r, lo;
  bool skipped;
  int first = tm_shadow_first(&r, fa, slo, top, own, &lo, &skipped);
  if (first != TM_FIRST_READ)
    return first == TM_FIRST_END ? 0 : TM_BELOW_NONE;
  if (paths) {
    uint32_t c = path_count(t, r, top, site0);
    if (c != TM_BELOW_NONE)
      return c;
  }
  return below_walk(t, r, lo, top, site0);
}

static __attribute__((noinline)) uint32_t below_slow(tm_thread_t *t, bool own,
                                                     bool paths) {
  return below(t, own, NULL, paths);
}

/* below(t, own, NULL) with its common case first: on the thread's stack,
 * not a replay, tm_shadow_first_common's start, and a path entry that
 * holds. Whatever else, and every check that fails, is below's; after a
 * path miss, without trying the paths again. About 10 instructions fewer
 * a capture than below's own path (Lua, callgrind). */
uint32_t tm_shadow_below(tm_thread_t *t, bool own) {
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  if (TM_UNLIKELY(fa - slo >= shi - slo || tm_shadow_replay))
    return below_slow(t, own, true);
  const struct tm_frame_record *r = __tm_shadow_top;
  uintptr_t top = shi - sizeof *r;
  int first = tm_shadow_first_common(&r, fa, top, own);
  if (first != TM_FIRST_READ)
    return first == TM_FIRST_END ? 0 : below_slow(t, own, true);
  uint32_t c = path_count(t, r, top, NULL);
  if (TM_UNLIKELY(c == TM_BELOW_NONE))
    return below_slow(t, own, false); // the walks, from the same record
  return c;
}

uint32_t tm_shadow_below_top(tm_thread_t *t, const struct tm_site **site0) {
  return below(t, false, site0, true);
}
