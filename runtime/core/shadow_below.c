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
 * tm_thread_t.below), indexed by a record's address: {address, count of
 * the frames below that record | generation << 16}. The walk writes an
 * entry for each record it tags; an entry is valid while its generation is
 * the thread's (`below_gen`): tm_tb_thread_sync_slow starts a new one (the
 * rows then held hashed entries, or a module came or went), and so does
 * every capture of tm_shadow_gather that tags records (its tags have no
 * entry: an entry left from an older frame at that address must not vouch
 * for them).
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
 * caller C vouches for it: C is tagged with a valid entry (C has a live
 * callee, so its entry is its own frame's) and S's count equals C's count
 * plus the frames C's current site expands to, which is the count below S
 * now, whatever S is. At the bottom record (no caller) the count must be 0.
 * Otherwise S is read like any untagged record, as a walk without the memo
 * would.
 *
 * The walk also resets the memo of tm_shadow_gather (memo_len = 0) when it
 * tags a record, since that memo trusts only tags it set itself.
 */
#include <stdint.h>

#include "internal.h"
#include "shadow_stack.h"
#include "site_frames.h"
#include "site_sections.h"

#define TM_TLS_IE __attribute__((tls_model("initial-exec")))

/* As in shadow_gather.c: dead records are followed this far below the
 * capture's frame. */
#define DEAD_WINDOW ((uintptr_t)64 << 10)

/* The entry of the record at a. Records are 8-aligned and at least 16
 * bytes apart (two pointers each, one per frame): address bits 4 and up
 * spread a chain's records over the table. */
static inline uintptr_t *below_entry(tm_thread_t *t, uintptr_t a) {
  return t->below[(a >> 4) & (TM_BELOW_SLOTS - 1)];
}

/* The count below the record at a when its entry is valid, else -1. */
static inline int64_t below_of(tm_thread_t *t, uintptr_t a) {
  const uintptr_t *e = below_entry(t, a);
  uintptr_t v = e[1];
  if (e[0] != a || v >> 16 != t->below_gen)
    return -1;
  return (int64_t)(v & 0xffff);
}

/* Does the caller of tagged record r (whose entry says `b` frames are
 * below it) vouch for that count? (The comment at the top.) */
static inline bool vouched(tm_thread_t *t, const struct tm_frame_record *r,
                           uintptr_t top, uint32_t b) {
  const struct tm_frame_record *c = r->prev;
  if (!c)
    return b == 0;
  uintptr_t ca = (uintptr_t)c; // checked as the walk would before reading
  if (ca <= (uintptr_t)r || ca > top ||
      (ca & (_Alignof(struct tm_frame_record) - 1)))
    return false;
  uintptr_t csv = (uintptr_t)c->site;
  if (!(csv & 1))
    return false;
  int64_t cb = below_of(t, (uintptr_t)c);
  if (cb < 0)
    return false;
  uint32_t n = (uint32_t)cb +
               tm_site_frames((const struct tm_site *)(csv & ~(uintptr_t)1));
  return (n < TM_TOTAL_CAP ? n : TM_TOTAL_CAP) == b;
}

uint32_t tm_shadow_below(tm_thread_t *t, bool own) {
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  // The capture runs on the thread's stack (not a handler's alternate
  // stack) and is not a replay: else tm_shadow_gather's general walk.
  if (TM_UNLIKELY(fa - slo >= shi - slo || tm_shadow_replay))
    return TM_BELOW_NONE;
  const struct tm_frame_record *r = __tm_shadow_top;
  // A record starts in [lo, top], above the last one read, inside the
  // stack; the first ones at or below fa are dead, within the window.
  uintptr_t lo = fa - slo > DEAD_WINDOW ? fa - DEAD_WINDOW : slo;
  uintptr_t top = shi - sizeof *r;
  for (;;) { // the dead records, then the own record
    if (!r)
      return 0;
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a < lo || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1))))
      return TM_BELOW_NONE;
    if (a > fa) { // live: read below, unless it is the own record
      if (own) {
        lo = a + 1;
        r = r->prev;
      }
      break;
    }
    lo = a + 1;
    r = r->prev;
  }
  // The records read, top-down: their sites (NULL: an unknown frame) and
  // addresses, then the count below the lowest one.
  const struct tm_site **ss = t->gather_scratch_site;
  uintptr_t *sa = t->gather_scratch_addr;
  uintptr_t k = 0;
  uint32_t c = 0;
  const struct tm_site *valid = NULL;
  uintptr_t vb = 0, vlen = 0;
  for (; r; r = r->prev) {
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a < lo || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1))))
      return TM_BELOW_NONE; // an unknown end: the general walk says so
    lo = a + 1;
    uintptr_t sv = (uintptr_t)r->site;
    const struct tm_site *s = (const struct tm_site *)(sv & ~(uintptr_t)1);
    if (sv & 1) {
      int64_t b = below_of(t, a);
      if (b >= 0 && vouched(t, r, top, (uint32_t)b)) {
        uint32_t n = (uint32_t)b + tm_site_frames(s);
        c = n < TM_TOTAL_CAP ? n : TM_TOTAL_CAP;
        break;
      }
    }
    s = tm_site_checked(s, &valid, &vb, &vlen);
    ss[k] = s;
    sa[k] = a;
    if (TM_UNLIKELY(++k == TM_GATHER_SLOTS - 1))
      return TM_BELOW_NONE; // the cap: the general walk
  }
  // Bottom-up: each record read gets its count below, and a tag and an
  // entry when its site is valid (program data never holds a site
  // pointer; an unknown frame is read again next time).
  if (k && t->memo_len)
    t->memo_len = 0;
  uint64_t gen = (uint64_t)t->below_gen << 16;
  for (uintptr_t x = k; x > 0;) {
    const struct tm_site *s = ss[--x];
    if (s) {
      uintptr_t a = sa[x];
      uintptr_t *e = below_entry(t, a);
      e[0] = a;
      e[1] = gen | c;
      // Relaxed: only this thread and its handlers read it.
      __atomic_store_n(&((struct tm_frame_record *)a)->site,
                       (const struct tm_site *)((uintptr_t)s | 1),
                       __ATOMIC_RELAXED);
    }
    uint32_t n = c + tm_site_frames(s);
    c = n < TM_TOTAL_CAP ? n : TM_TOTAL_CAP;
  }
  return c;
}
