/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* shadow_gather.c - tm_shadow_gather (shadow_stack.h): a capture's walk of
 * the thread's chain of frame records (tracemalloc_abi.h section 2), with
 * the per-thread memo that makes a walk read only the records pushed since
 * the last one. The thread's mapping it fills (the gather arrays, the memo)
 * is set up by shadow_stack.c; this file only reads the chain and writes
 * those arrays, on the capturing thread.
 */
#include <signal.h>
#include <stdint.h>

#include "internal.h"
#include "shadow_stack.h"
#include "site_frames.h"
#include "site_sections.h"

#define TM_TLS_IE __attribute__((tls_model("initial-exec")))

__thread int tm_shadow_replay TM_TLS_IE;

/* Memo. A walk of every record costs the stack's depth on every capture
 * (10,000 records in recursion.c's `linear`: 11 instructions each). So a
 * thread keeps the chain its last capture read (slots 1..memo_len: address,
 * site, prefix count of frames), and that capture tagged each of those
 * records by setting the low bit of its site field (sites are 8-aligned).
 * A frame that is entered anew stores a whole, untagged site before it
 * calls anything; after that it stores whole sites or moves to its next
 * site by adding the distance (`rec.site += d`, which keeps a tag and
 * changes the site; tracemalloc_abi.h section 3). So a tagged record with
 * a live callee has not been entered anew since a capture read it, and
 * holds what the memo holds when its site is the memo's: the walk stops
 * at the first tagged record that is at the memo's slot j for its address,
 * with the memo's site, whose prev is the memo's slot j-1 (or slot 1's
 * prev), and whose caller's record (slot j-1) is tagged with the memo's
 * site too. Slots 1..j are then the memo's, as they are, and only the
 * records above are read. The last check covers the one record that may
 * not have stored its site yet: a frame interrupted by a signal between
 * its entry and its first call, which still holds the site (maybe tagged)
 * of an earlier frame at its address; its caller stored a fresh, untagged
 * site before calling it, or added a distance to a tagged one (then the
 * site differs from the memo's, or is the memo's and the walk would read
 * the same), unless a later capture (which made the memo) tagged it. The
 * allocating function's own record
 * (TM_SITE_OWN_FRAME) is never read.
 * Only records of the stack the thread is on (tm_stack_lo/hi) are
 * memoised: the memo is dropped when that stack changes (swapcontext), a
 * handler's records on sigaltstack are read every time, a walk that ends
 * in an unknown frame (a record that fails the checks) or at the 65,535
 * cap memoises and tags nothing, and a replayed deferred allocation
 * (tm_shadow_replay: a handler's dead records) neither reads nor writes it.
 * Tags are written only into records that passed every check, and only over
 * a valid site pointer: program data never holds one. */

/* Slot j (1..memo_len) of the memo whose record is at a, or 0. Addresses
 * decrease from slot 1 (the bottom) up. */
static uintptr_t memo_find(tm_thread_t *t, uintptr_t a) {
  uintptr_t lo = 1, hi = t->memo_len;
  if (hi && t->gather_addr[hi] == a) // the common case: the same top
    return hi;
  // The next most common: the slot the last walk stopped at (an
  // interpreter's loop frame, whose callees come and go on every call).
  uintptr_t last = t->memo_last;
  if (last && last <= hi && t->gather_addr[last] == a)
    return last;
  while (lo <= hi) {
    uintptr_t mid = lo + (hi - lo) / 2;
    uintptr_t m = t->gather_addr[mid];
    if (m == a)
      return t->memo_last = mid;
    if (m > a)
      lo = mid + 1;
    else
      hi = mid - 1;
  }
  return 0;
}

/* The memo's slot j when the tagged record at a (site field sv, prev
 * next) is where a walk stops ("Memo" above: the memo holds it and the
 * records below it, as they are), else 0. */
static inline uintptr_t memo_holds(tm_thread_t *t, uintptr_t a, uintptr_t sv,
                                   const struct tm_frame_record *next) {
  uintptr_t j = memo_find(t, a);
  if (j && (const struct tm_site *)(sv & ~(uintptr_t)1) == t->gather[j] &&
      (uintptr_t)next == (j > 1 ? t->gather_addr[j - 1] : t->memo_prev0) &&
      (j == 1 ||
       (t->gather[j - 1] &&
        (uintptr_t)((const struct tm_frame_record *)t->gather_addr[j - 1])
                ->site == ((uintptr_t)t->gather[j - 1] | 1))))
    return j;
  return 0;
}

/* Place the k records a walk read (the thread's gather_scratch_site/addr
 * [0..k), top-down) above the memo's slots 1..base, bottom-up; the q bottom
 * ones (memoisable: the thread's stack's, on a clean walk) extend the memo
 * and are tagged. memo: the walk may use and write the memo. */
static inline __attribute__((always_inline)) struct tm_shadow
place(tm_thread_t *t, uintptr_t k, uintptr_t q, uintptr_t base, bool memo,
      bool clean) {
  const struct tm_site *const *ss = t->gather_scratch_site;
  const uintptr_t *sa = t->gather_scratch_addr;
  uintptr_t d = base;
  const struct tm_site *last = (const struct tm_site *)1;
  uint32_t frames = 0;
  // Locals: the tag stores below could alias the fields of *t.
  const struct tm_site **g = t->gather;
  uint32_t *cum = t->gather_cum;
  uintptr_t *ga = t->gather_addr;
  uint32_t c = cum[d] & TM_CUM_COUNT;
  // This placement's stamp, in the high half of each count it writes
  // (traceback_paths.c): a slot whose stamp an entry saw has not been
  // written since, nor has any slot below it. At the wrap, the entries
  // that saw older stamps go with a new generation.
  uint32_t stamp = t->memo_stamp + (TM_CUM_COUNT + 1);
  if (TM_UNLIKELY(stamp == 0)) {
    stamp = TM_CUM_COUNT + 1;
    t->below_gen++;
  }
  t->memo_stamp = stamp;
  // Two loops, so that neither tests which part it is in: the memoisable
  // records (the q bottom ones) are recorded and tagged, the others only
  // recorded.
  uintptr_t x = k;
  for (; x > k - q; d++) {
    const struct tm_site *s = ss[--x];
    if (s != last) {
      last = s;
      frames = tm_site_frames(s);
    }
    c += frames;
    c = c < TM_TOTAL_CAP ? c : TM_TOTAL_CAP;
    g[d + 1] = s;
    cum[d + 1] = c | stamp;
    uintptr_t a = sa[x];
    ga[d + 1] = a;
    if (s) // tag it (relaxed: only this thread and its handlers read it)
      __atomic_store_n(&((struct tm_frame_record *)a)->site,
                       (const struct tm_site *)((uintptr_t)s | 1),
                       __ATOMIC_RELAXED);
  }
  for (; x > 0; d++) {
    const struct tm_site *s = ss[--x];
    if (s != last) {
      last = s;
      frames = tm_site_frames(s);
    }
    c += frames;
    c = c < TM_TOTAL_CAP ? c : TM_TOTAL_CAP;
    g[d + 1] = s;
    cum[d + 1] = c | stamp;
  }
  // At limit 1 (epoch1 set), its tags have no entry in tm_shadow_below's
  // memo: an older entry at one of these addresses must not vouch for
  // them (shadow_below.c). Other limits do not use that memo, and a
  // change to limit 1 starts a new generation.
  if (q && t->epoch1)
    t->below_gen++;
  if (memo) {
    if (base == 0 && q)
      t->memo_prev0 =
          (uintptr_t)((const struct tm_frame_record *)sa[k - 1])->prev;
    t->memo_len = clean ? base + q : 0;
  }
  struct tm_shadow sh = {d, t->gather};
  return sh;
}

static __attribute__((noinline)) struct tm_shadow
gather_general(tm_thread_t *t, bool own, uintptr_t fa) {
  const struct tm_frame_record *r = __tm_shadow_top;
  // The regions records may be in, in chain order: the stack the capture
  // runs on, and under a handler on the alternate stack, then the thread's.
  uintptr_t lo[2], hi[2];
  int nr = 0, mr = -1; // mr: the region of the thread's stack (memoised)
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  if (fa >= slo && fa < shi) {
    lo[0] = slo;
    hi[0] = shi;
    nr = 1;
    mr = 0;
  } else {
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
        fa >= (uintptr_t)ss.ss_sp && fa - (uintptr_t)ss.ss_sp < ss.ss_size) {
      lo[0] = (uintptr_t)ss.ss_sp;
      hi[0] = (uintptr_t)ss.ss_sp + ss.ss_size;
      nr = 1;
      if (shi > slo) {
        lo[1] = slo;
        hi[1] = shi;
        nr = 2;
        mr = 1;
      }
    }
  }
  bool memo = t && !tm_shadow_replay && shi != 0;
  if (t && (!memo || t->memo_hi != shi)) {
    t->memo_len = 0;
    t->memo_hi = memo ? shi : 0;
  }
  const struct tm_site **ss = t ? t->gather_scratch_site : NULL;
  uintptr_t *sa = t ? t->gather_scratch_addr : NULL;
  uintptr_t k = 0, prev = 0, top = 0, base = 0;
  // How many of the slots read last (the bottom ones) are memoisable: this
  // stack's records (sa[] nonzero), counted as the walk goes.
  uintptr_t run = 0;
  const struct tm_site *valid = NULL; // the last site found valid
  bool clean = false;                 // ended at the bottom, or on the memo
  // The registered section the last valid site was in, [vb, vb + vlen):
  // a site in it needs no search of the table (site_sections.h).
  uintptr_t vb = 0, vlen = 0;
  bool live = false; // past the dead records
  bool mine = memo && mr == 0;
  int ri = 0;
  if (nr) {
    // The dead window, within the region.
    uintptr_t w = fa - lo[0] > TM_DEAD_WINDOW ? fa - TM_DEAD_WINDOW : lo[0];
    prev = w - 1;
    top = hi[0] - sizeof *r; // the highest address a record can start at
  }
  while (k < TM_GATHER_SLOTS - 1) {
    // A run of live records with the site last found valid, untagged (a
    // recursion; a tagged record takes the general path below, for the
    // memo): read with the bounds check only (21 instructions a record
    // instead of 35 on x86-64; docs/performance.md, issue 15).
    if (live && t && valid) {
      uintptr_t sav = mine ? ~(uintptr_t)0 : 0, k0 = k;
      while (k < TM_GATHER_SLOTS - 1 && r) {
        uintptr_t a = (uintptr_t)r;
        if (a <= prev || a > top ||
            (a & (_Alignof(struct tm_frame_record) - 1)) || r->site != valid)
          break;
        ss[k] = valid;
        sa[k] = a & sav;
        k++;
        prev = a;
        r = r->prev;
      }
      if (k != k0)
        run = mine ? run + (k - k0) : 0;
      if (k >= TM_GATHER_SLOTS - 1)
        break;
    }
    if (!r) {
      clean = true;
      break;
    }
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a <= prev || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1)))) {
      if (ri + 1 < nr) {
        // The interrupted stack's chain, below a handler on sigaltstack.
        ri++;
        prev = lo[ri] - 1;
        top = hi[ri] - sizeof *r;
        mine = memo && mr == ri;
        continue;
      }
      if (t) { // the chain ends here, as one unknown frame
        ss[k] = NULL;
        sa[k] = 0;
      }
      k++;
      run = 0;
      break;
    }
    prev = a;
    const struct tm_frame_record *next = r->prev;
    if (TM_UNLIKELY(!live)) {
      if (ri == 0 && a <= fa) { // dead: skipped
        r = next;
        continue;
      }
      live = true;
      if (own) { // the allocating function's own record: not read
        if (t) {
          ss[k] = NULL;
          sa[k] = 0;
        }
        k++;
        run = 0;
        r = next;
        continue;
      }
    }
    uintptr_t sv = (uintptr_t)r->site;
    if (TM_UNLIKELY(sv & 1) && mine) {
      uintptr_t j = memo_holds(t, a, sv, next);
      if (j) {
        base = j;
        clean = true;
        break;
      }
    }
    const struct tm_site *s = (const struct tm_site *)(sv & ~(uintptr_t)1);
    // Recursion repeats one site: checked once per walk. Sections are
    // read once per walk, like the records (a site of a module unloaded
    // during the walk would be just as stale after a per-site check).
    s = tm_site_checked(s, &valid, &vb, &vlen);
    if (t) {
      ss[k] = s;
      sa[k] = mine ? a : 0;
    }
    k++;
    run = mine ? run + 1 : 0;
    r = next;
  }
  if (!t) {
    struct tm_shadow sh = {k, NULL};
    return sh;
  }
  return place(t, k, memo && clean ? run : 0, base, memo, clean);
}

/* The common capture: a thread with state, on its own stack, its memo on
 * that stack, not a replay. That is gather_general with one region, every
 * live record memoisable (mine) and no NULL state, written out so that a
 * walk costs one test per condition and one loop per record; anything else
 * is gather_general. */
struct tm_shadow tm_shadow_gather(tm_thread_t *t, bool own) {
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  if (TM_UNLIKELY(!t || fa - slo >= shi - slo || t->memo_hi != shi ||
                  tm_shadow_replay))
    return gather_general(t, own, fa);
  const struct tm_frame_record *r = __tm_shadow_top;
  const struct tm_site **ss = t->gather_scratch_site;
  uintptr_t *sa = t->gather_scratch_addr;
  // A record starts in [lo, top], above the last one read (lo rises) and
  // inside the stack.
  uintptr_t top = shi - sizeof *r, lo;
  uintptr_t k = 0, base = 0, skipped = 0;
  bool clean = true;
  const struct tm_site *valid = NULL;
  uintptr_t vb = 0, vlen = 0;
  bool own_skipped;
  int first = tm_shadow_first(&r, fa, slo, top, own, &lo, &own_skipped);
  if (own_skipped) {
    ss[0] = NULL; // the allocating function's own record: not read
    sa[0] = 0;
    k = skipped = 1;
  }
  if (first == TM_FIRST_END)
    goto placed;
  if (first == TM_FIRST_UNKNOWN)
    goto unknown;
  for (;;) {
    if (!r)
      goto placed;
    uintptr_t a = (uintptr_t)r;
    if (TM_UNLIKELY(a < lo || a > top ||
                    (a & (_Alignof(struct tm_frame_record) - 1))))
      goto unknown;
    lo = a + 1;
    const struct tm_frame_record *next = r->prev;
    uintptr_t sv = (uintptr_t)r->site;
    if (sv & 1) {
      uintptr_t j = memo_holds(t, a, sv, next);
      if (j) {
        base = j;
        goto placed;
      }
    }
    const struct tm_site *s = (const struct tm_site *)(sv & ~(uintptr_t)1);
    s = tm_site_checked(s, &valid, &vb, &vlen);
    ss[k] = s;
    sa[k] = a;
    if (TM_UNLIKELY(++k == TM_GATHER_SLOTS - 1)) { // the cap: not clean
      clean = false;
      goto placed;
    }
    r = next;
  }
unknown: // the chain ends here, as one unknown frame
  ss[k] = NULL;
  sa[k] = 0;
  k++;
  clean = false;
placed:
  t->gather_stop = clean ? base : TM_GATHER_STOP_NONE;
  return place(t, k, clean ? k - skipped : 0, base, true, clean);
}
