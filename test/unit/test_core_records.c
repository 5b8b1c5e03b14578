/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_records.c - traceback capture from ABI v4 frame records
 * (tracemalloc_abi.h sections 2 and 3) with hand-made records and sites:
 * the chain read from __tm_shadow_top, OWN_FRAME, inlined_at expansion,
 * the checks a capture makes before it reads a record (a site outside the
 * registered sections, or inside one but not at a site's start, is one
 * unknown frame; a record out of the stack's bounds or not above the one
 * before ends the chain as one unknown frame), withdrawn sections (dlclose),
 * and chains longer than 65535 records (total_nframe capped, the innermost
 * frames kept).
 *
 * Records live in arrays in this thread's stack (a capture reads records
 * only inside the stack it runs on), linked upwards as a real chain is:
 * the caller's record is at a higher address. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "shadow_stack.h"
#include "site_sections.h"
#include "tb_expect.h"
#include "tracemalloc.h"
#include "tracemalloc_abi.h"

/* One registered "section": an array of sites, as the pass lays them out. */
static const struct tm_site sites[] = {
    {"main.c", "main", NULL, 10, 1, 0, 0},           // 0
    {"f.c", "f", NULL, 20, 1, 0, 0},                 // 1
    {"g.c", "g", NULL, 30, 1, 0, 0},                 // 2
    {"h.c", "h", &sites[2], 40, 1, 0, 0},            // 3: h inlined in g
    {"k.c", "k", NULL, 50, 1, TM_SITE_OWN_FRAME, 0}, // 4
    {"k.c", "k", NULL, 51, 1, 0, 0},                 // 5
    {"deep.c", "deep", NULL, 60, 1, 0, 0},           // 6
    {"main.c", "main", NULL, 11, 1, 0, 0},           // 7
};
#define NSITES (sizeof sites / sizeof *sites)
/* Sites of functions with their own record, at own.c:100 + i: sites 32
 * apart pick the same set of the empty paths (traceback_paths.c). */
static struct tm_site own_sites[33];

/* Not registered: a record naming it is an unknown frame. */
static const struct tm_site stray = {"stray.c", "stray", NULL, 70, 1, 0, 0};

static const tm_traceback_t *find(tm_snapshot_t *snap, size_t size) {
  const tm_trace_t *t = tm_snapshot_traces(snap);
  for (size_t i = 0; i < tm_snapshot_count(snap); i++)
    if (t[i].size == size)
      return t[i].traceback;
  return NULL;
}

/* Link r[0..n) into a chain, r[0] innermost, and make it the top. */
static void link_chain(struct tm_frame_record *r, int n) {
  for (int i = 0; i < n; i++)
    r[i].prev = i + 1 < n ? &r[i + 1] : NULL;
  __tm_shadow_top = &r[0];
}

static void test_chain(void) {
  CHECK_EQ_INT(tm_start(25), TM_OK);
  struct tm_frame_record r[8];
  memset(r, 0, sizeof r);
  // main -> f -> (g with h inlined) -> tm_track: no site, the top record's
  // call is the innermost frame.
  r[0].site = &sites[3];
  r[1].site = &sites[1];
  r[2].site = &sites[0];
  link_chain(r, 3);
  CHECK_EQ_INT(tm_track(0, 0x100, 1), 0);
  // OWN_FRAME: the top record is the allocating function's own.
  tm_core_on_alloc((void *)0x200, 2, &sites[4]);
  // Without it, the top record's call follows the site.
  tm_core_on_alloc((void *)0x300, 3, &sites[5]);
  // A site nobody registered, and one inside the section but not at a
  // site's start: unknown frames, and the chain goes on.
  r[1].site = &stray;
  tm_core_on_alloc((void *)0x400, 4, &sites[5]);
  r[1].site = (const struct tm_site *)((const char *)&sites[1] + 8);
  tm_core_on_alloc((void *)0x500, 5, &sites[5]);
  r[1].site = &sites[1];
  // A record whose prev goes down the stack (or to itself) cannot be a
  // caller's: the chain ends there as one unknown frame.
  r[1].prev = &r[0];
  tm_core_on_alloc((void *)0x600, 6, &sites[5]);
  // A prev outside the stack's bounds (a static): likewise.
  static struct tm_frame_record outside = {NULL, &sites[0]};
  r[1].prev = &outside;
  tm_core_on_alloc((void *)0x700, 7, &sites[5]);
  // The section withdrawn (the image's destructor, before dlclose): its
  // sites are unknown frames from then on.
  link_chain(r, 3);
  tm_site_sections_remove(sites, sites + NSITES);
  tm_core_on_alloc((void *)0x800, 8, &sites[5]);
  CHECK(tm_site_sections_add(sites, sites + NSITES));
  // No record: the site alone.
  __tm_shadow_top = NULL;
  tm_core_on_alloc((void *)0x900, 9, &sites[5]);

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 1), 4, "h.c:40", "g.c:30", "f.c:20", "main.c:10");
  EXPECT(find(snap, 2), 3, "k.c:50", "f.c:20", "main.c:10");
  EXPECT(find(snap, 3), 5, "k.c:51", "h.c:40", "g.c:30", "f.c:20", "main.c:10");
  EXPECT(find(snap, 4), 5, "k.c:51", "h.c:40", "g.c:30", "<unknown>:0",
         "main.c:10");
  EXPECT(find(snap, 5), 5, "k.c:51", "h.c:40", "g.c:30", "<unknown>:0",
         "main.c:10");
  EXPECT(find(snap, 6), 5, "k.c:51", "h.c:40", "g.c:30", "f.c:20",
         "<unknown>:0");
  EXPECT(find(snap, 7), 5, "k.c:51", "h.c:40", "g.c:30", "f.c:20",
         "<unknown>:0");
  // (the hook's own site is not checked: the pass passes it)
  EXPECT(find(snap, 8), 4, "k.c:51", "<unknown>:0", "<unknown>:0",
         "<unknown>:0");
  EXPECT(find(snap, 9), 1, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();
}

/* More records than CPython counts: total_nframe stops at 65535 and the
 * innermost frames are the traceback. 70,000 records: 1.1 MB of this
 * thread's stack. */
#define DEEP 70000
static void test_deep(void) {
  CHECK_EQ_INT(tm_start(3), TM_OK);
  struct tm_frame_record *r = __builtin_alloca(DEEP * sizeof *r);
  for (int i = 0; i < DEEP; i++)
    r[i].site = &sites[6];
  r[0].site = &sites[1];
  link_chain(r, DEEP);
  tm_core_on_alloc((void *)0x1000, 10, &sites[5]);
  // 100 records: the count is exact.
  r[99].prev = NULL;
  tm_core_on_alloc((void *)0x2000, 11, &sites[5]);
  __tm_shadow_top = NULL;
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 10), 65535, "k.c:51", "f.c:20", "deep.c:60");
  EXPECT(find(snap, 11), 101, "k.c:51", "f.c:20", "deep.c:60");
  tm_snapshot_free(snap);
  tm_stop();
}

/* The record memo (shadow_stack.c, "Memo"): a capture reads only the
 * records above the first one the last capture tagged and memoised, and
 * the memo must never stand in for records that changed. Stores of a site
 * here are what a frame does before each call (a fresh, untagged site). */
static void test_memo(void) {
  CHECK_EQ_INT(tm_start(3), TM_OK);
  struct tm_frame_record r[3];
  memset(r, 0, sizeof r);
  // main:10 -> g -> f -> tm_track.
  r[2].site = &sites[0];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  link_chain(r, 3);
  CHECK_EQ_INT(tm_track(0, 0x100, 1), 0);
  // The capture tagged the records it read.
  CHECK(((uintptr_t)r[0].site & 1) && ((uintptr_t)r[2].site & 1));
  // Unchanged: the same frames from the memo.
  CHECK_EQ_INT(tm_track(0, 0x200, 2), 0);
  // main calls g again, from line 11, at the same addresses: every frame
  // stores its site anew.
  r[2].site = &sites[7];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  CHECK_EQ_INT(tm_track(0, 0x300, 3), 0);
  // The same, but f is interrupted (a signal handler allocates) before it
  // stored its site: its record still holds the tagged site of the frame
  // before it at that address, and its prev is the memo's; its caller's
  // fresh site says the memo is stale below it.
  r[2].site = &sites[0];
  r[1].site = &sites[2];
  CHECK_EQ_INT(tm_track(0, 0x400, 4), 0);
  // Only the top changes (another callee of g): read, the rest memoised.
  r[0].site = &sites[5];
  CHECK_EQ_INT(tm_track(0, 0x500, 5), 0);
  // A signal handler's frame (fresh site, the same as before) on top of a
  // new g, interrupted before it stored its site (its record keeps the
  // tagged one of the g before it), called by main from line 11: the
  // handler's record is not tagged, so it is no proof that the memo holds
  // below it.
  r[2].site = &sites[7];
  r[0].site = &sites[5];
  CHECK_EQ_INT(tm_track(0, 0x580, 9), 0);
  // A deeper chain, then a capture half way down it (the records above are
  // gone; the frame there called something else).
  enum { N = 1000 };
  struct tm_frame_record *d = __builtin_alloca(N * sizeof *d);
  for (int i = 0; i < N; i++)
    d[i].site = &sites[6];
  link_chain(d, N);
  CHECK_EQ_INT(tm_track(0, 0x600, 6), 0);
  d[500].site = &sites[1];
  __tm_shadow_top = &d[500];
  CHECK_EQ_INT(tm_track(0, 0x700, 7), 0);
  // And back up on new frames above it (new instances at new sites).
  d[499].site = &sites[2];
  d[499].prev = &d[500];
  __tm_shadow_top = &d[499];
  CHECK_EQ_INT(tm_track(0, 0x800, 8), 0);
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 1), 3, "f.c:20", "g.c:30", "main.c:10");
  EXPECT(find(snap, 2), 3, "f.c:20", "g.c:30", "main.c:10");
  EXPECT(find(snap, 3), 3, "f.c:20", "g.c:30", "main.c:11");
  EXPECT(find(snap, 4), 3, "f.c:20", "g.c:30", "main.c:10");
  EXPECT(find(snap, 5), 3, "k.c:51", "g.c:30", "main.c:10");
  EXPECT(find(snap, 9), 3, "k.c:51", "g.c:30", "main.c:11");
  EXPECT(find(snap, 6), 1000, "deep.c:60", "deep.c:60", "deep.c:60");
  EXPECT(find(snap, 7), 500, "f.c:20", "deep.c:60", "deep.c:60");
  EXPECT(find(snap, 8), 501, "g.c:30", "f.c:20", "deep.c:60");
  tm_snapshot_free(snap);
  tm_stop();
}

/* What a frame does with `rec.site += d` (the pass, after a call whose site
 * the record holds): the site moves and a tag the last capture set stays.
 * The memo must read such a record again (its site is not the memo's),
 * and must not stand in for a record above a caller that moved so. */
static void move_site(struct tm_frame_record *r, const struct tm_site *from,
                      const struct tm_site *to) {
  r->site = (const struct tm_site *)((uintptr_t)r->site +
                                     (uintptr_t)((const char *)to -
                                                 (const char *)from));
}

static void test_memo_delta(void) {
  CHECK_EQ_INT(tm_start(3), TM_OK);
  struct tm_frame_record r[3];
  memset(r, 0, sizeof r);
  // main:10 -> g -> f -> tm_track: read and tagged.
  r[2].site = &sites[0];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  link_chain(r, 3);
  CHECK_EQ_INT(tm_track(0, 0x1100, 21), 0);
  CHECK((uintptr_t)r[2].site & 1);
  // main's next call, at line 11, by distance (still tagged), calls g and
  // f again at the same addresses (fresh sites).
  move_site(&r[2], &sites[0], &sites[7]);
  CHECK((uintptr_t)r[2].site & 1);
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  CHECK_EQ_INT(tm_track(0, 0x1200, 22), 0);
  // g moves to its next call (k.c:51 here) by distance, tagged, and calls
  // f again (fresh).
  move_site(&r[1], &sites[2], &sites[5]);
  r[0].site = &sites[1];
  CHECK_EQ_INT(tm_track(0, 0x1300, 23), 0);
  // g moves back to g.c:30 by distance (tagged) and calls f, which a
  // signal interrupts before it stores its site: f's record still holds
  // the tagged f.c:20 the memo has, but its caller's site is not the
  // memo's, so the memo does not hold below f: read as a full walk would.
  move_site(&r[1], &sites[5], &sites[2]);
  CHECK_EQ_INT(tm_track(0, 0x1400, 24), 0);
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 21), 3, "f.c:20", "g.c:30", "main.c:10");
  EXPECT(find(snap, 22), 3, "f.c:20", "g.c:30", "main.c:11");
  EXPECT(find(snap, 23), 3, "f.c:20", "k.c:51", "main.c:11");
  EXPECT(find(snap, 24), 3, "f.c:20", "g.c:30", "main.c:11");
  tm_snapshot_free(snap);
  tm_stop();
}

/* Traceback limit 1 (shadow_below.c): the capture counts the frames below
 * the site without gathering them, reading only the records above the
 * first tagged one whose count its memo holds and whose caller vouches
 * for it. The totals must be what a full walk counts. */
static void test_below(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  struct tm_frame_record r[4];
  memset(r, 0, sizeof r);
  // main:10 -> x (f.c:20) -> g (with h inlined: 2 frames) -> f -> k.c:51.
  r[3].site = &sites[0];
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  link_chain(r, 4);
  tm_core_on_alloc((void *)0x3000, 31, &sites[5]); // 1 + 1 + 2 + 1 + 1
  CHECK((uintptr_t)r[0].site & 1 && (uintptr_t)r[3].site & 1);
  tm_core_on_alloc((void *)0x3100, 32, &sites[5]); // the memo, unchanged
  // OWN_FRAME: the top record is the allocating function's own.
  tm_core_on_alloc((void *)0x3200, 33, &sites[4]); // 1 + 4
  // Only the top frame changes (f calls another function, by a fresh
  // store): read again, the rest from the memo.
  r[0].site = &sites[2];
  tm_core_on_alloc((void *)0x3300, 34, &sites[5]);
  // A shallower chain at the same addresses: main calls g (at r[1])
  // directly, whose callee f (at r[0]) is interrupted by a signal before
  // it stores its site: r[0] keeps the tag and memo entry of the f above
  // (3 frames below it then, 2 now). g's fresh site is untagged, so it
  // does not vouch for r[0]: counted as a full walk would.
  r[3].site = &sites[0];
  r[1].prev = &r[3];
  r[1].site = &sites[2];
  r[0].site = (const struct tm_site *)((uintptr_t)&sites[1] | 1);
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)0x3400, 35, &sites[5]); // 1 + 1 + 1 + 1
  // The same, with g tagged by a capture in between (from a callee that
  // allocated, at r[0]'s address, then returned): g's entry says 1 below
  // it, so f's stale entry (3 below the f that a capture tagged before
  // that) is not vouched for.
  r[0].site = &sites[1];
  r[1].site = &sites[3]; // 2 frames
  link_chain(r, 4);
  tm_core_on_alloc((void *)0x3500, 36, &sites[5]); // tags r[0] with 4 below
  r[1].prev = &r[3];
  r[1].site = &sites[2];
  __tm_shadow_top = &r[1];
  tm_core_on_alloc((void *)0x3600, 37, &sites[5]); // g tagged, 1 below
  r[0].site = (const struct tm_site *)((uintptr_t)&sites[1] | 1);
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)0x3700, 38, &sites[5]); // 1 + f + g + main
  // An unknown site in the chain: one frame, read again every time. (A
  // frame entered anew stores a fresh site: relinked records get one.)
  link_chain(r, 4);
  r[0].site = &sites[1];
  r[1].site = &sites[2];
  r[2].site = &stray;
  r[3].site = &sites[0];
  tm_core_on_alloc((void *)0x3800, 39, &sites[5]);
  tm_core_on_alloc((void *)0x3900, 40, &sites[5]);
  // A chain that ends in an unknown frame (a prev down the stack): the
  // general walk's count, f g <unknown>. (Only a push writes a prev, and
  // a pushed frame stores a fresh site.)
  r[1].prev = &r[0];
  r[1].site = &sites[2];
  tm_core_on_alloc((void *)0x3a00, 41, &sites[5]);
  // No record: the site alone.
  __tm_shadow_top = NULL;
  tm_core_on_alloc((void *)0x3b00, 42, &sites[5]);
  // Deeper than the cap: the general walk's count, 65535.
  struct tm_frame_record *d = __builtin_alloca(DEEP * sizeof *d);
  for (int i = 0; i < DEEP; i++)
    d[i].site = &sites[6];
  link_chain(d, DEEP);
  tm_core_on_alloc((void *)0x3c00, 43, &sites[5]);
  d[99].prev = NULL;
  tm_core_on_alloc((void *)0x3d00, 44, &sites[5]);
  tm_core_on_alloc((void *)0x3e00, 45, &sites[5]);
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 31), 6, "k.c:51");
  EXPECT(find(snap, 32), 6, "k.c:51");
  EXPECT(find(snap, 33), 5, "k.c:50");
  EXPECT(find(snap, 34), 6, "k.c:51");
  EXPECT(find(snap, 35), 4, "k.c:51");
  EXPECT(find(snap, 36), 6, "k.c:51");
  EXPECT(find(snap, 37), 3, "k.c:51");
  EXPECT(find(snap, 38), 4, "k.c:51");
  EXPECT(find(snap, 39), 5, "k.c:51");
  EXPECT(find(snap, 40), 5, "k.c:51");
  EXPECT(find(snap, 41), 4, "k.c:51");
  EXPECT(find(snap, 42), 1, "k.c:51");
  EXPECT(find(snap, 43), 65535, "k.c:51");
  EXPECT(find(snap, 44), 101, "k.c:51");
  EXPECT(find(snap, 45), 101, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();

  // Limit 3 tags the same records through the gather's memo (no entries
  // of limit 1's), then limit 1 again: the totals of a full walk.
  link_chain(r, 4);
  r[0].site = &sites[1];
  r[1].site = &sites[3];
  r[2].site = &sites[1];
  r[3].site = &sites[0];
  CHECK_EQ_INT(tm_start(3), TM_OK);
  tm_core_on_alloc((void *)0x4000, 46, &sites[5]);
  tm_stop();
  CHECK_EQ_INT(tm_start(1), TM_OK);
  r[1].prev = &r[3]; // g called by main: a fresh site, f interrupted
  r[1].site = &sites[2];
  r[0].site = (const struct tm_site *)((uintptr_t)&sites[1] | 1);
  tm_core_on_alloc((void *)0x4100, 47, &sites[5]);
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 47), 4, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();

  // Entries made at limit 1, then a shallower chain at the same addresses
  // with the same site words, tagged at limit 3 (which keeps no entries),
  // then limit 1 again: the old entries would vouch for each other (f 3
  // frames below, g 2), so a change of limit must retire them.
  CHECK_EQ_INT(tm_start(1), TM_OK);
  r[3].site = &sites[0];
  r[2].site = &sites[1];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  link_chain(r, 4);
  tm_core_on_alloc((void *)0x4200, 48, &sites[5]); // 1 + 4
  tm_stop();
  CHECK_EQ_INT(tm_start(3), TM_OK);
  r[3].site = &sites[0];
  r[1].prev = &r[3];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x4300, 49, &sites[5]); // 1 + 3
  tm_stop();
  CHECK_EQ_INT(tm_start(1), TM_OK);
  tm_core_on_alloc((void *)0x4400, 50, &sites[5]); // 1 + 3
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 50), 4, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();

  // Frames entered again at the addresses where earlier ones with the same
  // sites were tagged, over a shallower chain: main calls g directly now.
  // Their entries hold their site words, but the counts below them do not
  // chain (g's said 2 frames below it, main is 1), so they are read.
  CHECK_EQ_INT(tm_start(1), TM_OK);
  r[3].site = &sites[0];
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  link_chain(r, 4);
  tm_core_on_alloc((void *)0x4500, 56, &sites[5]); // 1 + 1 + 2 + 1 + 1
  r[1].prev = &r[3];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x4600, 57, &sites[5]); // 1 + 1 + 2 + 1
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 56), 6, "k.c:51");
  EXPECT(find(snap, 57), 5, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();

  // No site (malloc through a pointer, or from code not instrumented): the
  // one frame is the top record's site, the total all the records' frames;
  // the same traceback as an allocation at that site with that total. Read
  // once, then from the memo; an unknown top record is '<unknown>'.
  CHECK_EQ_INT(tm_start(1), TM_OK);
  link_chain(r, 4);
  r[3].site = &sites[0];
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x4700, 58, NULL); // f + g (2) + x + main
  tm_core_on_alloc((void *)0x4800, 59, NULL); // the same, memoised
  __tm_shadow_top = &r[1]; // f.c:20 allocates, called by g: 1 + 4
  tm_core_on_alloc((void *)0x4900, 60, &sites[1]);
  __tm_shadow_top = &r[0];
  r[0].site = &stray;
  tm_core_on_alloc((void *)0x4a00, 61, NULL);
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 58), 5, "f.c:20");
  EXPECT(find(snap, 59), 5, "f.c:20");
  CHECK(find(snap, 58) == find(snap, 59) && find(snap, 59) == find(snap, 60));
  EXPECT(find(snap, 61), 5, "<unknown>:0");
  tm_snapshot_free(snap);
  tm_stop();
}

/* The path memo (shadow_below.c, "The path memo"): a capture whose records
 * are, by address and site word, a path an earlier walk kept, counts the
 * path's frames plus the frames up to the record below the path, read from
 * that record's entry now. A hit tags none of the path's records (a walk
 * would), which tells the two apart here. */
static void test_below_paths(void) {
  CHECK_EQ_INT(tm_start(1), TM_OK);
  struct tm_frame_record r[5];
  memset(r, 0, sizeof r);
  // main (r[4]) -> f.c:20 (r[3]) -> f.c:20 (r[2]) -> g with h inlined, 2
  // frames (r[1]) -> f.c:20 (r[0]) -> k.c:51.
  r[4].site = &sites[0];
  r[3].site = &sites[1];
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  link_chain(r, 5);
  __tm_shadow_top = &r[2];
  tm_core_on_alloc((void *)0x5000, 70, &sites[5]); // 1 + 3: tags r[2..4]
  __tm_shadow_top = &r[0];
  // Walked: r[0] and r[1], stop r[2]; the path r[0..2] is kept, with r[3]
  // below it.
  tm_core_on_alloc((void *)0x5100, 71, &sites[5]); // 1 + 1 + 2 + 1 + 2
  CHECK((uintptr_t)r[0].site & 1);
  // The same frames entered again (fresh, untagged sites): the path holds.
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x5200, 72, &sites[5]); // 7, from the path
  CHECK(!((uintptr_t)r[0].site & 1) && !((uintptr_t)r[1].site & 1));
  // r[3], the record below the path, entered again over a shallower chain
  // (main gone: it is the bottom record now) and tagged by a capture of
  // its own; then the path's frames entered again at the same addresses
  // with the same sites. The path holds, and the count below it is r[3]'s
  // new one: 1 + 1 + 2 + 1 + 1, not the 7 the path was kept with.
  r[3].prev = NULL;
  r[3].site = &sites[1];
  __tm_shadow_top = &r[3];
  tm_core_on_alloc((void *)0x5300, 73, &sites[5]); // 1 + 1
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)0x5400, 74, &sites[5]); // 6, from the path
  CHECK(!((uintptr_t)r[0].site & 1));
  // A record of the path at another site (g calls f from g.c:30, 1 frame):
  // read again. 1 + 1 + 1 + 1 + 1.
  r[1].site = &sites[2];
  tm_core_on_alloc((void *)0x5500, 75, &sites[5]);
  CHECK((uintptr_t)r[0].site & 1);
  // The record below the path entered again at another site (x.c calls
  // g.c with h inlined, 2 frames), not tagged yet, and the path's frames
  // entered again above it: the path kept by 75 (r[0..3], the chain's end
  // below) does not hold; read again. 1 + 1 + 1 + 1 + 2.
  r[3].site = &sites[3];
  r[2].site = &sites[1];
  r[1].site = &sites[2];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x5600, 76, &sites[5]);
  CHECK((uintptr_t)r[0].site & 1);
  // r[3] entered again over main (r[4]), both tagged by a capture from
  // r[3]; then a walk from r[0] keeps the path r[0..3] with r[4] below.
  r[3].prev = &r[4];
  r[3].site = &sites[1];
  r[4].site = &sites[0];
  __tm_shadow_top = &r[3];
  tm_core_on_alloc((void *)0x5700, 77, &sites[5]); // 1 + 2
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)0x5800, 78, &sites[5]); // 1 + 1 + 2 + 1 + 2
  // Relinked below the path: r[3] entered again as the bottom record, the
  // path's other frames again above it, same addresses and sites. The
  // record below r[3] is not the path's (NULL, not r[4]): read again.
  // 1 + 1 + 2 + 1 + 1.
  r[3].prev = NULL;
  r[3].site = &sites[1];
  r[2].site = &sites[1];
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x5900, 79, &sites[5]);
  CHECK((uintptr_t)r[0].site & 1);
  // And entered again once more: the path r[0..3] kept by 79 holds.
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x5a00, 80, &sites[5]); // 6, from the path
  CHECK(!((uintptr_t)r[0].site & 1));
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 70), 4, "k.c:51");
  EXPECT(find(snap, 71), 7, "k.c:51");
  EXPECT(find(snap, 72), 7, "k.c:51");
  EXPECT(find(snap, 73), 2, "k.c:51");
  EXPECT(find(snap, 74), 6, "k.c:51");
  EXPECT(find(snap, 75), 5, "k.c:51");
  EXPECT(find(snap, 76), 6, "k.c:51");
  EXPECT(find(snap, 77), 3, "k.c:51");
  EXPECT(find(snap, 78), 7, "k.c:51");
  EXPECT(find(snap, 79), 6, "k.c:51");
  EXPECT(find(snap, 80), 6, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();
}

/* A module's site section in a page of its own, which a test can unmap:
 * u.c:1 in u, and v.c:2 in v inlined in u (2 frames). */
static struct tm_site *map_sites(size_t page) {
  struct tm_site *m = mmap(NULL, page, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(m != MAP_FAILED);
  m[0] = (struct tm_site){"u.c", "u", NULL, 1, 1, 0, 0};
  m[1] = (struct tm_site){"v.c", "v", &m[0], 2, 1, 0, 0};
  return m;
}

/* An image unloaded under tagged records (dead ones a chain can still
 * reach): its sites' memory is gone. The limit-1 walk must read no site
 * it has not checked: at a stop it reads none, and a record it reads has
 * its site checked first (an unknown frame). */
static void test_below_unloaded(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  struct tm_site *m = map_sites(page);
  CHECK(tm_site_sections_add(m, m + 2));
  CHECK_EQ_INT(tm_start(1), TM_OK);
  struct tm_frame_record r[3];
  memset(r, 0, sizeof r);
  // main:10 -> u (v inlined: 2 frames) -> u -> k.c:51.
  r[2].site = &sites[0];
  r[1].site = &m[1];
  r[0].site = &m[1];
  link_chain(r, 3);
  tm_core_on_alloc((void *)0x5000, 51, &sites[5]); // 1 + 2 + 2 + 1
  CHECK((uintptr_t)r[0].site & 1 && (uintptr_t)r[1].site & 1);
  // The image's destructor withdraws the section, then it is unmapped.
  __tm_module_fini_v4(m, m + 2);
  CHECK_EQ_INT(munmap(m, page), 0);
  // The unload started a new epoch: the memos are retired, every record
  // is read and its site checked again (the unmapped sites are not read:
  // they are unknown frames, as section 3 of the ABI says).
  tm_core_on_alloc((void *)0x5100, 52, &sites[5]); // 1 + 1 + 1 + 1
  // A fresh site at the top: the same.
  r[0].site = &m[1];
  tm_core_on_alloc((void *)0x5200, 53, &sites[5]); // 1 + 1 + 1 + 1
  __tm_shadow_top = NULL;
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 51), 6, "k.c:51");
  EXPECT(find(snap, 52), 4, "k.c:51");
  EXPECT(find(snap, 53), 4, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();
  // The gather's memo (limit 3) says the same after an unload.
  m = map_sites(page);
  __tm_module_init_v4(m, m + 2);
  CHECK_EQ_INT(tm_start(3), TM_OK);
  r[2].site = &sites[0];
  r[1].site = &m[1];
  r[0].site = &m[1];
  link_chain(r, 3);
  tm_core_on_alloc((void *)0x5300, 54, &sites[5]); // 1 + 2 + 2 + 1
  __tm_module_fini_v4(m, m + 2);
  CHECK_EQ_INT(munmap(m, page), 0);
  tm_core_on_alloc((void *)0x5400, 55, &sites[5]); // 1 + 1 + 1 + 1
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 54), 6, "k.c:51", "v.c:2", "u.c:1");
  EXPECT(find(snap, 55), 4, "k.c:51", "<unknown>:0", "<unknown>:0");
  tm_snapshot_free(snap);
  tm_stop();
}

/* A module unloaded and another loaded at its address: the same site
 * pointer now names another site (here one frame where it was two). An
 * entry of the earlier generation must not count it, even where the
 * counts around it chain: the unload and the load start new epochs, and
 * the limit-1 walk compares every entry's generation. */
static void test_below_reload(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  struct tm_site *m = map_sites(page);
  __tm_module_init_v4(m, m + 2);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  struct tm_frame_record r[4];
  memset(r, 0, sizeof r);
  // main -> u (v inlined) -> f -> k.c:51: entries for r[3], r[1], r[0].
  r[3].site = &sites[0];
  r[1].site = &m[1];
  r[0].site = &sites[1];
  r[1].prev = &r[3];
  r[0].prev = &r[1];
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)0x6000, 62, &sites[5]); // 1 + 1 + 2 + 1
  // The module goes, another comes at its address: m[1] is one frame.
  __tm_module_fini_v4(m, m + 2);
  m[1].inlined_at = NULL;
  __tm_module_init_v4(m, m + 2);
  // main -> g (h inlined) -> f: new entries for r[3], r[2] and r[0] (f: 3
  // frames below it, as the old entry of r[1] says it is up to itself).
  r[3].site = &sites[0];
  r[2].site = &sites[3];
  r[0].site = &sites[1];
  r[2].prev = &r[3];
  r[0].prev = &r[2];
  tm_core_on_alloc((void *)0x6100, 63, &sites[5]); // 1 + 1 + 2 + 1
  // main -> v (one frame now) -> f, both entered again: r[0]'s entry
  // chains into r[1]'s old one (3 up to it) and that into r[3]'s (1), but
  // r[1]'s is of the old generation.
  r[1].site = &m[1];
  r[0].site = &sites[1];
  r[1].prev = &r[3];
  r[0].prev = &r[1];
  tm_core_on_alloc((void *)0x6200, 64, &sites[5]); // 1 + 1 + 1 + 1
  __tm_shadow_top = NULL;
  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 62), 5, "k.c:51");
  EXPECT(find(snap, 63), 5, "k.c:51");
  EXPECT(find(snap, 64), 4, "k.c:51");
  tm_snapshot_free(snap);
  tm_stop();
  __tm_module_fini_v4(m, m + 2);
  CHECK_EQ_INT(munmap(m, page), 0);
}

/* test_tb_paths's stack: main (r[4]) -> f.c:20 (r[3]) -> f.c:20 (r[2]) ->
 * g with h inlined, 2 frames (r[1]) -> f.c:20 (r[0]). The path's frames
 * (r[1], r[0]) entered again, fresh and untagged, and an allocation at
 * k.c:51 from r[0]: true if it gathered (a gather tags r[0], a hit of the
 * path memo does not). */
static bool alloc_over_path(struct tm_frame_record *r, uintptr_t ptr,
                            size_t size) {
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  __tm_shadow_top = &r[0];
  tm_core_on_alloc((void *)ptr, size, &sites[5]);
  return (uintptr_t)r[0].site & 1;
}

/* r[3] entered again at s3 and r[2] over it, and an allocation at k.c:51
 * from r[2]: gathered, so r[2] is the memo's slot 3 again, written anew. */
static void alloc_below_path(struct tm_frame_record *r,
                             const struct tm_site *s3, uintptr_t ptr,
                             size_t size) {
  r[3].site = s3;
  r[2].site = &sites[1];
  __tm_shadow_top = &r[2];
  tm_core_on_alloc((void *)ptr, size, &sites[5]);
}

/* Above limit 1 (traceback_paths.c): a capture whose records since the
 * gather's stop are a path a capture kept, over a stop whose memo slot was
 * not written since, has that capture's id, with no gather. */
static void test_tb_paths(void) {
  CHECK_EQ_INT(tm_start(25), TM_OK);
  struct tm_frame_record r[5];
  memset(r, 0, sizeof r);
  link_chain(r, 5);
  r[4].site = &sites[0];
  alloc_below_path(r, &sites[1], 0x6000, 90); // tags r[2..4]
  // Gathered: r[0], r[1] over the memo's r[2]; that path is kept.
  CHECK(alloc_over_path(r, 0x6100, 91));
  CHECK(!alloc_over_path(r, 0x6200, 92)); // the path holds
  // Another allocation site over the same records: not the entry's.
  r[1].site = &sites[3];
  r[0].site = &sites[1];
  tm_core_on_alloc((void *)0x6300, 93, &sites[6]);
  CHECK((uintptr_t)r[0].site & 1);
  CHECK(!alloc_over_path(r, 0x6400, 94)); // k.c:51's, in the other way
  // r[3] at g.c:30 (one frame, as f.c:20 was): r[2] is slot 3 again, with
  // the same count below it, but written since the entry saw it (its
  // stamp), so the path's next capture gathers; the one after holds.
  alloc_below_path(r, &sites[2], 0x6500, 95);
  CHECK(alloc_over_path(r, 0x6600, 96));
  CHECK(!alloc_over_path(r, 0x6700, 97));
  // The record below the path entered again at its site but not tagged:
  // a gather would read it, so the capture does.
  r[2].site = &sites[1];
  CHECK(alloc_over_path(r, 0x6800, 98));
  CHECK((uintptr_t)r[2].site & 1);
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  EXPECT(find(snap, 90), 4, "k.c:51", "f.c:20", "f.c:20", "main.c:10");
  for (size_t size = 91; size <= 94; size++)
    EXPECT(find(snap, size), 7, size == 93 ? "deep.c:60" : "k.c:51", "f.c:20",
           "h.c:40", "g.c:30", "f.c:20", "f.c:20", "main.c:10");
  EXPECT(find(snap, 95), 4, "k.c:51", "f.c:20", "g.c:30", "main.c:10");
  for (size_t size = 96; size <= 98; size++)
    EXPECT(find(snap, size), 7, "k.c:51", "f.c:20", "h.c:40", "g.c:30",
           "f.c:20", "g.c:30", "main.c:10");
  tm_snapshot_free(snap);
  tm_stop();

  // Limit 3. The entry holds while the memo's slot below the path keeps
  // the stamp it saw: a placement that writes that slot again, even with
  // the same record and site, ends it.
  CHECK_EQ_INT(tm_start(3), TM_OK);
  alloc_below_path(r, &sites[1], 0x7000, 100);
  CHECK(alloc_over_path(r, 0x7100, 101)); // kept
  CHECK(!alloc_over_path(r, 0x7200, 102));
  alloc_below_path(r, &sites[1], 0x7300, 103); // slot 3 written again
  CHECK(alloc_over_path(r, 0x7400, 104));      // kept anew
  CHECK(!alloc_over_path(r, 0x7500, 105));
  // r[3] at h.c:40 in g (two frames): the path again is gathered, with the
  // new count.
  alloc_below_path(r, &sites[3], 0x7600, 106);
  CHECK(alloc_over_path(r, 0x7700, 107));
  __tm_shadow_top = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  for (size_t size = 101; size <= 105; size++)
    if (size != 103)
      EXPECT(find(snap, size), 7, "k.c:51", "f.c:20", "h.c:40");
  EXPECT(find(snap, 103), 4, "k.c:51", "f.c:20", "f.c:20");
  EXPECT(find(snap, 106), 5, "k.c:51", "f.c:20", "h.c:40");
  EXPECT(find(snap, 107), 8, "k.c:51", "f.c:20", "h.c:40");
  tm_snapshot_free(snap);
  tm_stop();
}

/* The empty path (traceback_paths.c): a capture whose chain ends at its
 * function's own record (a thread's start routine, or main, allocating)
 * has the id the first such capture of its site got, with no gather (a
 * gather places, which moves the memo's stamp; a hit does not). A record
 * below it makes it a capture like any other. */
static void test_tb_paths_empty(void) {
  tm_thread_t *t = tm_thread_self;
  CHECK_EQ_INT(tm_start(25), TM_OK);
  struct tm_frame_record r[2];
  memset(r, 0, sizeof r);
  link_chain(r, 1); // k's own record, nothing below it
  tm_core_on_alloc((void *)0x8000, 110, &sites[4]); // gathered, kept
  uint32_t stamp = t->memo_stamp;
  tm_core_on_alloc((void *)0x8100, 111, &sites[4]);
  CHECK_EQ_INT(t->memo_stamp, stamp); // the empty path's hit
  // main below k: a record to read, so gathered.
  r[1].site = &sites[0];
  link_chain(r, 2);
  tm_core_on_alloc((void *)0x8200, 112, &sites[4]);
  CHECK(t->memo_stamp != stamp);
  // Back to k alone: the empty path again (no placement).
  link_chain(r, 1);
  stamp = t->memo_stamp;
  tm_core_on_alloc((void *)0x8300, 113, &sites[4]);
  CHECK_EQ_INT(t->memo_stamp, stamp);
  // Two sites whose empty paths share a set (32 sites apart): each its own.
  tm_core_on_alloc((void *)0x8400, 114, &own_sites[0]);
  tm_core_on_alloc((void *)0x8500, 115, &own_sites[32]);
  stamp = t->memo_stamp;
  tm_core_on_alloc((void *)0x8600, 116, &own_sites[0]);
  tm_core_on_alloc((void *)0x8700, 117, &own_sites[32]);
  CHECK_EQ_INT(t->memo_stamp, stamp);
  __tm_shadow_top = NULL;

  tm_snapshot_t *snap = NULL;
  CHECK_EQ_INT(tm_take_snapshot(&snap), TM_OK);
  for (size_t size = 110; size <= 113; size++)
    if (size != 112)
      EXPECT(find(snap, size), 1, "k.c:50");
  EXPECT(find(snap, 112), 2, "k.c:50", "main.c:10");
  for (size_t size = 114; size <= 117; size++)
    EXPECT(find(snap, size), 1, size % 2 ? "own.c:132" : "own.c:100");
  tm_snapshot_free(snap);
  tm_stop();
}

int main(void) {
  CHECK(tm_site_sections_add(sites, sites + NSITES));
  CHECK(tm_site_sections_add(sites, sites + NSITES)); // idempotent
  for (unsigned i = 0; i < 33; i++)
    own_sites[i] = (struct tm_site){"own.c",           "own", NULL, 100 + i, 1,
                                    TM_SITE_OWN_FRAME, 0};
  CHECK(tm_site_sections_add(own_sites, own_sites + 33));
  CHECK(!tm_site_sections_add(NULL, NULL));
  // The constructor gave the main thread its state and its stack's bounds.
  CHECK(tm_thread_self != NULL);
  int local;
  CHECK(tm_stack_lo < (uintptr_t)&local && (uintptr_t)&local < tm_stack_hi);
  test_chain();
  test_deep();
  test_memo();
  test_memo_delta();
  test_below();
  test_below_paths();
  test_below_unloaded();
  test_below_reload();
  test_tb_paths();
  test_tb_paths_empty();
  __tm_shadow_top = NULL;
  return CHECK_DONE();
}
