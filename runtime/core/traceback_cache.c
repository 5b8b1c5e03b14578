/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_cache.c - the per-thread traceback cache in front of the
 * intern set (traceback.h, "Capture cost"; its entries are in the thread's
 * state, shadow_stack.h): tm_intern_capture. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "shadow_stack.h"
#include "site_frames.h"
#include "traceback.h"
#include "traceback_capture.h"

/* Per-thread cache (shadow_stack.h). The key is cheap to compute in the one
 * walk that total_nframe needs anyway.
 *  - Limit 1 with a site (the common configuration): the traceback is the
 *    site alone and total_nframe, so (site, total_nframe) is its exact
 *    identity: the entry stores both and a hit needs no verification
 *    (tm_intern_cached in traceback.h is that path, inlined).
 *  - Otherwise: the key is the site pointer, the raw slot pointers that
 *    supply the first `limit` frames (a slot supplies 1 + the length of its
 *    inlined_at chain), and total_nframe; the site, the innermost
 *    HASHED_SLOTS of those slots and total_nframe are hashed to pick and
 *    name the entry. With up to 31 such slots the entry keeps all of those
 *    pointers (its raw row, shadow_stack.h) and a hit compares
 *    them: the pointers fix the expanded frames, so equal pointers, limit
 *    and total_nframe are the same traceback, with no walk of the record
 *    (on Lua's inlined_at chains that walk was most of a hit's cost). With
 *    more, a hit is verified as the intern set's lookup verifies a
 *    candidate (same nframe, same total_nframe, same expanded sites).
 * Either way the cache returns exactly the id the set would: records are
 * unique by that content until the next reset. tm_intern_reset (and a
 * module load or unload) bumps tm_tb_epoch; a thread whose cache belongs
 * to another epoch (or was filled under another limit) empties it before
 * using it (tm_tb_thread_sync), so no id of an earlier epoch is ever
 * dereferenced. Entries are read and written only by their own thread; the
 * epoch is read under a trace-table lock (or on the single thread), which
 * reset holds all of. */

/* Slots of a contiguous stack mixed into the hash, from the innermost: the
 * hit's check (the raw row, or the record) compares all of them, so this
 * only picks the entry. Mixing all (up to limit - 1) cost Lua 52 Ir per
 * capture at nframe=25 for the same hit rate (302 misses either way in
 * `lua alloc.lua 1`, docs/performance.md). */
#define HASHED_SLOTS 4

static inline uint64_t mix_key(uint64_t h, uintptr_t v) {
  return ((h << 17) | (h >> 47)) ^ v; // 2-cycle chain; finalised once
}

/* The bits of a capture's hash that pick and name its hashed entry: all of
 * them, except in a debug build whose test narrows them so that different
 * stacks share one entry and key, and only the hit's check tells them
 * apart (test_core_tbcache). */
#ifdef TM_DEBUG
uint64_t tm_tb_debug_key_mask = ~(uint64_t)0;
#define KEY_MASK tm_tb_debug_key_mask
#else
#define KEY_MASK (~(uint64_t)0)
#endif

void tm_tb_thread_sync_slow(tm_thread_t *t, uint64_t epoch, unsigned limit) {
  __builtin_memset(t->cache, 0, sizeof t->cache);
  t->epoch = epoch;
  t->limit = limit;
  t->epoch1 = limit == 1 ? epoch : 0;
  t->below_gen++; // the rows held another limit's entries, or sites changed
  // The gather's memo too: after a module came or went, a record is read
  // and its site checked again, as the section-3 walk says.
  t->memo_len = 0;
}

/* total_nframe of slots 1..i of the thread's gathered stack (t non-NULL,
 * synced): tm_shadow_gather counted them (prefix counts, capped). */
static inline uintptr_t count_slots(const tm_thread_t *t, uintptr_t i) {
  return t->gather_cum[i] & TM_CUM_COUNT;
}

/* Slots i..1 when they are not one array (a stack gathered without the
 * thread's state): mix the first m of them (from slot i down) into *h, and
 * return n plus the frames they expand to, capped at TM_TOTAL_CAP. Every slot
 * is at least one frame, so this reads at most TM_TOTAL_CAP of them, whatever
 * the depth. */
static uintptr_t slots_walk(const struct tm_shadow *sh, uintptr_t i,
                            uintptr_t m, uint64_t *h, uintptr_t n) {
  for (uintptr_t k = 0; k < i && n < TM_TOTAL_CAP; k++) {
    const struct tm_site *s = slot_at(sh, i - k);
    if (k < m)
      *h = mix_key(*h, (uintptr_t)s);
    n++;
    for (s = s ? s->inlined_at : NULL; s && n < TM_TOTAL_CAP; s = s->inlined_at)
      n++;
  }
  return n;
}

/* tm_intern_capture at limit 1, on a thread with state (synced): the
 * traceback is the site's first frame and total_nframe, and
 * tm_shadow_below counts the frames below without gathering them (with no
 * site, the top record's and all the frames).
 * CAPTURE_GENERAL when it cannot (then the general capture). */
#define CAPTURE_GENERAL UINT32_MAX
static uint32_t capture_limit1(tm_thread_t *t, const struct tm_site *site) {
  bool own = false;
  unsigned total;
  if (site) {
    own = (site->flags & TM_SITE_OWN_FRAME) != 0;
    uint32_t below = tm_shadow_below_now(t, own);
    if (below == TM_BELOW_NONE)
      return CAPTURE_GENERAL;
    uint32_t n = tm_site_frames(site) + below;
    total = n > TM_TOTAL_CAP ? TM_TOTAL_CAP : n;
  } else {
    // No site (malloc reached through a pointer, as libxml2's xmlMalloc,
    // or from code not instrumented): the one frame is the top record's
    // site, the total every record's frames. That is the traceback of an
    // allocation at that site with that total: the same entry and id.
    total = tm_shadow_below_top(t, &site);
    if (total == TM_BELOW_NONE || site == NULL)
      return CAPTURE_GENERAL;
  }
  tm_tb_cache_entry_t *e = &t->cache[tm_tb_exact_index(site, total)];
  if (e->key == (uintptr_t)site && e->check == total)
    return e->id;
  // The record needs no slot: its one frame is the site's.
  struct tm_shadow none = {own ? 1 : 0, t->gather};
  tm_intern_capture_sh = none;
  uint32_t id = tm_intern_capture_global(site, 1, total);
  if (id) {
    e->key = (uintptr_t)site;
    e->check = total;
    e->id = id;
  }
  return id;
}

/* The capture that gathers the records (tm_intern_capture, synced). */
static uint32_t capture_gathered(tm_thread_t *t, const struct tm_site *site,
                                 unsigned limit) {
  struct tm_shadow sh =
      tm_shadow_current(t, site && (site->flags & TM_SITE_OWN_FRAME));
  tm_intern_capture_sh = sh;
  uintptr_t i = top_slot(site, sh.depth);
  uint64_t h = (uintptr_t)site, n = 0;
  for (const struct tm_site *c = site; c && n < TM_TOTAL_CAP; c = c->inlined_at)
    n++;
  uintptr_t site_frames = n;
  // The key: the slots that can supply the first `limit` frames, from the
  // innermost (slot i) down (each supplies >= 1; with inlined_at chains
  // this takes a few more than needed, which only costs sharing, never
  // exactness).
  uintptr_t m = n >= limit ? 0 : limit - n;
  m = m < i ? m : i;
  // Slots 1..i are frames[1..i], one array, with the thread's state (its
  // gather arrays: frames is t->gather then, NULL without it).
  bool contiguous = t != NULL && sh.frames != NULL;
  const struct tm_site *const *p = NULL; // slot i, if contiguous
  if (TM_LIKELY(contiguous)) {
    p = sh.frames + i;
    uintptr_t hm = m < HASHED_SLOTS ? m : HASHED_SLOTS;
    for (uintptr_t k = 0; k < hm; k++)
      h = mix_key(h, (uintptr_t)p[-(intptr_t)k]);
    // Each slot is >= 1 frame: at i >= TM_TOTAL_CAP - n they reach the cap
    // without being counted.
    uintptr_t left = n >= TM_TOTAL_CAP ? 0 : TM_TOTAL_CAP - n;
    n = i >= left ? TM_TOTAL_CAP : n + count_slots(t, i);
  } else {
    n = slots_walk(&sh, i, m, &h, n);
  }
  // Slots read as p[0], p[-1], ...: when each is one frame (checked below),
  // the expanded sites below the site are those pointers themselves.
  bool plain = contiguous;
  unsigned total = n > TM_TOTAL_CAP ? TM_TOTAL_CAP : (unsigned)n;
  h = (h ^ total) * 0x9e3779b97f4a7c15ull;
  h ^= h >> 29;

  if (TM_UNLIKELY(!t))
    return tm_intern_capture_global(site, limit, total);
  tm_tb_cache_entry_t *e;
  uintptr_t key;
  uint32_t check;
  if (site && limit == 1) {
    // Exact entry (traceback.h): (site, total) is the identity.
    e = &t->cache[tm_tb_exact_index(site, total)];
    key = (uintptr_t)site;
    check = total;
    if (e->key == key && e->check == check)
      return e->id;
  } else if (TM_LIKELY(contiguous && m < TM_TB_RAW_WORDS)) {
    h &= KEY_MASK;
    // Raw row: (site, the m slot pointers p[0], p[-1], ..., total) fixes
    // the first `limit` expanded frames (the m slots supply them all: each
    // is at least one frame, and m is limit - n or every slot) and
    // total_nframe, and the cache belongs to one limit and thread: equal
    // pointers are the same traceback, with no walk of the record.
    e = &t->cache[h & (TM_TB_CACHE_SIZE - 1)];
    key = (uintptr_t)h | 1;
    check = total | (uint32_t)m << 16;
    uintptr_t *row = t->cache_raw[e - t->cache];
    // The row holds the m slots bottom-up (p[1 - m] .. p[0], q[0..m)): two
    // ascending arrays, compared a vector at a time (from p[0] down, the
    // loop was a word at a time: Lua nframe=25 -9.4 M).
    const uintptr_t *q = (const uintptr_t *)(p + 1 - (intptr_t)m);
    if (e->key == key && e->check == check) {
      uintptr_t diff = row[0] ^ (uintptr_t)site;
      for (uintptr_t k = 0; k < m; k++)
        diff |= row[1 + k] ^ q[k];
      if (!diff)
        return e->id;
    }
    uint32_t id = tm_intern_capture_global(site, limit, total);
    if (id) {
      row[0] = (uintptr_t)site;
      for (uintptr_t k = 0; k < m; k++)
        row[1 + k] = (uintptr_t)q[k];
      e->key = key;
      e->check = check;
      e->id = id;
    }
    return id;
  } else {
    h &= KEY_MASK;
    e = &t->cache[h & (TM_TB_CACHE_SIZE - 1)];
    key = (uintptr_t)h | 1;
    check = TM_TB_CHECK_RECORD;
    if (e->key == key && e->check == check) {
      const tm_tb_t *tb = tm_intern_get(e->id);
      bool empty = total == 0;
      unsigned nframe = empty ? 1 : total < limit ? total : limit;
      if (tb->nframe == nframe && tb->total_nframe == (empty ? 1 : total)) {
        // The common stack: the site is one frame and each slot below it
        // one frame (total says so): the expanded sites are the site and
        // the slot pointers themselves, compared without walking.
        plain = plain && !empty && site_frames == (site ? 1u : 0u) &&
                total == site_frames + i && total < TM_TOTAL_CAP;
        if (site && nframe == 1) { // the first expanded frame is the site
          if (tb->keys[0] == site)
            return e->id;
        } else if (plain) {
          uintptr_t diff = site ? (uintptr_t)tb->keys[0] ^ (uintptr_t)site : 0;
          const struct tm_site *const *keys = tb->keys + site_frames;
          for (uintptr_t k = 0; k < nframe - site_frames; k++)
            diff |= (uintptr_t)keys[k] ^ (uintptr_t)p[-(intptr_t)k];
          if (!diff)
            return e->id;
        } else if (tm_intern_record_matches(tb, site, empty)) {
          return e->id;
        }
      }
    }
  }
  uint32_t id = tm_intern_capture_global(site, limit, total);
  if (id) {
    e->key = key;
    e->check = check;
    e->id = id;
  }
  return id;
}

uint32_t tm_intern_capture(const struct tm_site *site, unsigned limit) {
  if (limit > TM_TOTAL_CAP)
    limit = TM_TOTAL_CAP;
  tm_thread_t *t = tm_thread_self;
  if (TM_LIKELY(t != NULL))
    tm_tb_thread_sync(t, limit);
  if (limit == 1 && t) {
    uint32_t id = capture_limit1(t, site);
    if (id != CAPTURE_GENERAL)
      return id;
  } else if (t && site) {
    // Above limit 1: a path a capture kept (traceback_paths.c), else the
    // gather, whose path is then kept.
    bool own = (site->flags & TM_SITE_OWN_FRAME) != 0;
    uint32_t id = tm_tb_paths_hit(t, site, own);
    if (TM_LIKELY(id))
      return id;
    t->gather_stop = TM_GATHER_STOP_NONE;
    id = capture_gathered(t, site, limit);
    if (id)
      tm_tb_paths_keep(t, site, own, id);
    return id;
  }
  return capture_gathered(t, site, limit);
}
