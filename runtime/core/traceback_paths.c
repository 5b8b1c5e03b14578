/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* traceback_paths.c - the path memo of captures above traceback limit 1
 * (traceback.h, tm_tb_paths_hit / tm_tb_paths_keep): a capture whose
 * records since the last stop are a path a capture kept, over the same
 * stack below, has the id that capture interned, with no gather and no
 * cache lookup.
 *
 * Above limit 1 a capture gathers its records (tm_shadow_gather: the ones
 * pushed since the last capture, down to a record the gather's memo holds)
 * and looks the stack up in the traceback cache (traceback_cache.c): about
 * 700 instructions a capture on Lua at nframe 25, where the same few paths
 * recur (the records of `luaM_malloc_ <- luaC_newobj <- luaH_new <-
 * luaV_execute`, entered again at the same addresses, over the same
 * stack). So each capture whose gather was the common one and ended well
 * keeps, with the id it got:
 *  - the allocation's site and whether its function's own record was
 *    skipped (TM_SITE_OWN_FRAME);
 *  - the path: the records the gather read, from the first live one down
 *    (at most TM_TB_PATH_RECS), by address and untagged site word;
 *  - the record below the path (the gather's stop, the memo's slot j;
 *    none when the chain ended), j, and slot j's count word
 *    (gather_cum[j]: the frames up to and including it, and the stamp of
 *    the placement that wrote the slot).
 *
 * A capture has that id when its site and own flag are the entry's, its
 * records from the first live one down are the path's (addresses and site
 * words, compared, the tag aside, linked in that order to the same record
 * below), and that record is where a gather would stop now: the memo's
 * slot j, tagged with the memo's site, linked to slot j - 1 (or slot 1's
 * prev), whose record is tagged with the memo's site too (shadow_gather.c,
 * memo_holds: the same test); and slot j's count word is the entry's.
 * Then a gather would read the same records with the same sites and place
 * them over the same slots: the same stack, so the same traceback, which
 * the cache belongs to one epoch, limit and thread (a record of the intern
 * set is unique by its content until a reset). Entries carry the thread's
 * generation (below_gen), which every cache sync (a new epoch: a reset, a
 * module come or gone; a new limit) raises.
 *
 * Why the slots below the stop are the entry's: every placement
 * (shadow_gather.c, place) writes a new stamp into the count words of the
 * slots it writes, which are the ones above its stop up to its top, one
 * after another. A slot j that still has the stamp the entry saw was not
 * written since, so no placement since stopped below j and reached j; one
 * that stopped below j and did not reach it left the memo shorter than j,
 * and only a later placement that writes slot j can make it long enough
 * again. So slots 1..j (sites, addresses, counts, and slot 1's prev) are
 * what they were when the entry was kept. Stamps are 16 bits (in the high
 * half of the count word, whose count is at most 65535); at the wrap the
 * placement starts a new generation, so no entry sees a stamp come back.
 * And why the records below the stop need no reading: at the stop the
 * gather reads none either (the memo's argument, shadow_gather.c).
 *
 * The empty path. A capture whose chain ends before any record is read
 * (the site's function has its own record and nothing below it: a
 * thread's start routine, or main, allocating) has the traceback of its
 * site alone. Its gather keeps an entry of no record, keyed by the site
 * and the own flag, and a capture whose chain ends the same way (past the
 * same dead records and own record a gather would pass) has its id.
 *
 * A hit reads only this thread's records on its own stack: the path's
 * first record is the one a gather would read first (tm_shadow_first,
 * checked before its site is read), and the highest
 * address (the last record's) is checked against the stack's top before
 * any other is read. A hit does not tag records or touch the gather's
 * memo: the next gather reads from the last gather's state, as it would
 * after a capture at limit 1.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "shadow_stack.h"
#include "traceback.h"

/* Entry words (TM_TB_PATH_WORDS each): 0, generation << 32 | own << 16 |
 * n (records); 1, the site; 2, the first record's address; 3, j; 4,
 * gather_cum[j] | id << 32; 5, the last (highest) record's address; then,
 * at 6 + 2i, the image of record i (0..n-1, the first one first) that a
 * hit compares it with (tm_path_images_match, shadow_stack.h): its prev
 * (the address of record i + 1; for the last one, the record below the
 * path, 0 for none) and its untagged site word. */
#define HEAD 6
_Static_assert(HEAD + 2 * TM_TB_PATH_RECS <= TM_TB_PATH_WORDS,
               "a path fits its entry");

_Static_assert(TM_TB_PATH_WAYS == 2, "keep and hit use two ways");
_Static_assert(offsetof(tm_thread_t, tb_paths) % 16 == 0 &&
                   (HEAD * sizeof(uintptr_t)) % 16 == 0 &&
                   (TM_TB_PATH_WORDS * sizeof(uintptr_t)) % 16 == 0,
               "an entry's images are 16-byte aligned");

static inline uintptr_t (*path_set(tm_thread_t *t, uintptr_t a,
                                   uintptr_t sv))[TM_TB_PATH_WORDS] {
  uintptr_t set = ((a >> 4) ^ (sv >> 3)) & (TM_TB_PATHS / TM_TB_PATH_WAYS - 1);
  return &t->tb_paths[set * TM_TB_PATH_WAYS];
}

/* The id of entry p for a capture at site with own, whose first live
 * record is at a0 (site word sv0), top the highest address a record may
 * start at; 0 when it does not hold. */
static inline __attribute__((always_inline)) uint32_t
path_try(const tm_thread_t *t, const uintptr_t *p, const struct tm_site *site,
         uintptr_t head, uintptr_t a0, uintptr_t sv0, uintptr_t top) {
  if (p[2] != a0 || p[7] != sv0 || (p[0] & ~(uintptr_t)0xffff) != head ||
      p[1] != (uintptr_t)site)
    return 0;
  if (p[5] > top)
    return 0; // the path's records are not all in this stack
  uintptr_t ba =
      tm_path_images_match(a0, p + HEAD, p + HEAD + 2 * (p[0] & 0xffff));
  if (ba == TM_PATH_DIFFERS)
    return 0;
  const struct tm_frame_record *b = (const struct tm_frame_record *)ba;
  if (b) {
    // Where a gather would stop (shadow_gather.c, memo_holds), with the
    // slots the entry saw.
    uintptr_t j = p[3];
    if (j > t->memo_len || t->gather_addr[j] != (uintptr_t)b ||
        (uintptr_t)b->site != ((uintptr_t)t->gather[j] | 1) ||
        (uintptr_t)b->prev != (j > 1 ? t->gather_addr[j - 1] : t->memo_prev0))
      return 0;
    if (j > 1 &&
        (!t->gather[j - 1] ||
         (uintptr_t)((const struct tm_frame_record *)t->gather_addr[j - 1])
                 ->site != ((uintptr_t)t->gather[j - 1] | 1)))
      return 0;
    // Slot j's count and stamp: not written since the entry saw it, so
    // neither were the slots below it (a placement writes the slots above
    // its stop, up to its top).
    if (t->gather_cum[j] != (uint32_t)p[4])
      return 0;
  }
  return (uint32_t)(p[4] >> 32);
}

/* An entry's word 0 without its record count: the thread's generation
 * and the own flag. */
static inline uintptr_t entry_head(const tm_thread_t *t, bool own) {
  return (uintptr_t)t->below_gen << 32 | (uintptr_t)own << 16;
}

/* The set of the entry of an empty path: a capture that reads no record
 * (the chain ends at the site's function, or with no record at all: a
 * thread's start routine, a program's main). Its traceback is its site's
 * frames alone, so the site and the own flag are its whole key. The entry
 * is n = 0, record 0's address 0 (which no path's first record has, so a
 * lookup of a path never takes it), the id in word 4. */
static inline uintptr_t (
    *empty_set(tm_thread_t *t, const struct tm_site *site))[TM_TB_PATH_WORDS] {
  return path_set(t, 0, (uintptr_t)site);
}

static uint32_t empty_hit(tm_thread_t *t, const struct tm_site *site,
                          uintptr_t head) {
  const uintptr_t(*set)[TM_TB_PATH_WORDS] = empty_set(t, site);
  for (unsigned way = 0; way < TM_TB_PATH_WAYS; way++)
    if (set[way][0] == head && set[way][1] == (uintptr_t)site)
      return (uint32_t)(set[way][4] >> 32);
  return 0;
}

uint32_t tm_tb_paths_hit(tm_thread_t *t, const struct tm_site *site, bool own) {
  uintptr_t fa = (uintptr_t)__builtin_frame_address(0);
  uintptr_t slo = tm_stack_lo, shi = tm_stack_hi;
  // As the gather's common case: on the thread's own stack, whose records
  // its memo holds, not a replay.
  if (TM_UNLIKELY(fa - slo >= shi - slo || t->memo_hi != shi ||
                  tm_shadow_replay))
    return 0;
  // The first record a gather would read (past the dead records and the
  // own one), checked before its site is read: most often the common
  // start, else tm_shadow_first's.
  const struct tm_frame_record *r = __tm_shadow_top;
  uintptr_t top = shi - sizeof *r;
  uintptr_t head = entry_head(t, own);
  int first = tm_shadow_first_common(&r, fa, top, own);
  if (TM_UNLIKELY(first == TM_FIRST_GENERAL)) {
    uintptr_t lo;
    bool skipped;
    first = tm_shadow_first(&r, fa, slo, top, own, &lo, &skipped);
  }
  if (first != TM_FIRST_READ)
    return first == TM_FIRST_END ? empty_hit(t, site, head) : 0;
  uintptr_t a0 = (uintptr_t)r, sv0 = (uintptr_t)r->site & ~(uintptr_t)1;
  const uintptr_t(*set)[TM_TB_PATH_WORDS] = path_set(t, a0, sv0);
  uint32_t id = path_try(t, set[0], site, head, a0, sv0, top);
  if (TM_LIKELY(id))
    return id;
  return path_try(t, set[1], site, head, a0, sv0, top);
}

void tm_tb_paths_keep(tm_thread_t *t, const struct tm_site *site, bool own,
                      uint32_t id) {
  uintptr_t j = t->gather_stop;
  t->gather_stop = TM_GATHER_STOP_NONE;
  // Not a common, clean gather.
  if (j == TM_GATHER_STOP_NONE || j > t->memo_len)
    return;
  uintptr_t n = t->memo_len - j; // the records read: slots j + 1 .. memo_len
  // None read over a stop (the capture's records were all memoised): not
  // kept; none read as the chain ended: the empty path.
  if ((n == 0 && j != 0) || n > TM_TB_PATH_RECS)
    return;
  uintptr_t w[TM_TB_PATH_WORDS];
  uintptr_t below = j ? t->gather_addr[j] : 0;
  w[0] = entry_head(t, own) | n;
  w[1] = (uintptr_t)site;
  w[3] = j;
  w[4] = (j ? t->gather_cum[j] : 0) | (uintptr_t)id << 32;
  for (uintptr_t i = 0; i < n; i++) { // top-down: slot memo_len first
    // Record i's prev is the next slot's record, or the stop's (slot j;
    // none when the chain ended: j = 0).
    uintptr_t s = t->memo_len - i;
    w[HEAD + 2 * i] = s - 1 > j ? t->gather_addr[s - 1] : below;
    w[HEAD + 1 + 2 * i] = (uintptr_t)t->gather[s];
  }
  w[2] = n ? t->gather_addr[t->memo_len] : 0;
  w[5] = n ? t->gather_addr[j + 1] : 0;
  // The set of the path's first record (slot memo_len); the empty path's
  // is its site's, and its record 0 is address 0 (compared first by a
  // lookup of a path, which it never matches).
  uintptr_t(*set)[TM_TB_PATH_WORDS];
  if (n) {
    set = path_set(t, t->gather_addr[t->memo_len],
                   (uintptr_t)t->gather[t->memo_len]);
  } else {
    set = empty_set(t, site);
  }
  memcpy(set[1], set[0], sizeof set[1]);
  memcpy(set[0], w, (HEAD + 2 * n) * sizeof w[0]);
}
