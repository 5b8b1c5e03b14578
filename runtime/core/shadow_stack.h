/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* shadow_stack.h - the per-thread runtime state: the record chain's TLS
 * words, the capture's gather arrays and the traceback cache, and how
 * their memory is counted.
 * The record chain itself is declared in tracemalloc_abi.h (section 2);
 * thread setup is tm_shadow_thread_init (internal.h).
 *
 * Memory. Each thread gets one mapping: one page-aligned header
 * (tm_thread_t: registry links and the traceback cache, TM_THREAD_BYTES)
 * and the gather arrays of captures (TM_GATHER_SLOTS x 36 bytes: sites,
 * addresses, prefix counts and the walk's scratch; 2.25 MiB of address
 * space; 2.34 MiB with the header's 87 KiB), MAP_NORESERVE. The kernel only
 * backs the pages a thread really touches: a capture a few hundred records deep
 * uses a page or two of each array. The frame records themselves are in the
 * program's stack frames. tm_get_tracemalloc_memory() therefore counts the
 * mappings by their resident pages, measured with mincore() at query time
 * (tm_shadow_memory), not by their reserved size: exactly the memory they use
 * at that moment (a page that was touched once stays resident until the thread
 * exits). They are not charged to raw_alloc's TM_MEM_TABLES, and raw_alloc's
 * test limit does not apply to them.
 */
#ifndef TM_SHADOW_STACK_H
#define TM_SHADOW_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_constant_count.h"
#include "tracemalloc_abi.h"
#include "visibility.h"

/* The record chain (tracemalloc_abi.h section 2): defined initial-exec,
 * declared there without the model; the runtime's own accesses say it, or
 * libtracemalloc.so would reach it through __tls_get_addr. */
extern __thread const struct tm_frame_record *__tm_shadow_top
    __attribute__((tls_model("initial-exec")));

/* A captured stack, as the capture's consumers read it (traceback.c):
 * slots frames[1..depth], bottom-up, each a site or NULL (an unknown
 * frame). frames NULL: every slot is unknown (a thread without state,
 * whose records are counted but not kept). */
struct tm_shadow {
  uintptr_t depth;
  const struct tm_site **frames;
};

/* The bounds of the machine stack the thread is on, [tm_stack_lo,
 * tm_stack_hi): the thread's own (stack_bounds.h, at thread setup) or
 * a makecontext stack's (hooks/context_switch.c switches them with the
 * context); 0, 0 until known. A capture reads frame records only inside
 * them (tm_shadow_gather). */
extern __thread uintptr_t tm_stack_lo
    __attribute__((tls_model("initial-exec")));
extern __thread uintptr_t tm_stack_hi
    __attribute__((tls_model("initial-exec")));

/* Records a capture reads at most: each is at least one frame, so the
 * 65,536th can only count beyond CPython's cap of 65,535. Also the size of
 * a thread's gather buffer (its mapping, after the header). */
#define TM_GATHER_SLOTS 65536u

/* CPython's cap on total_nframe. */
#define TM_TOTAL_CAP 65535u
/* The count in a gather_cum word (tm_thread_t): its low 16 bits. */
#define TM_CUM_COUNT 0xffffu

/* Per-thread traceback cache (traceback.h): direct-mapped, this many
 * entries. */
#define TM_TB_CACHE_SIZE 256

/* One cache entry. Two kinds, told apart by the low bit of `key`:
 *  - exact (limit 1, a site): key is the site pointer (even: a struct
 *    tm_site is pointer-aligned) and check is total_nframe; that pair is
 *    the whole identity of a 1-frame traceback, so a hit needs no
 *    verification;
 *  - hashed (everything else): key is a 64-bit hash of the capture's key
 *    with its low bit set. When the key's slots fit in the entry's raw row
 *    (tm_thread_t.cache_raw: the site and the m slot pointers that supply
 *    the first `limit` frames), check is total_nframe | m << 16 and a hit
 *    compares that row with the capture's pointers, which determine its
 *    frames (traceback.c); otherwise check is TM_TB_CHECK_RECORD and a hit
 *    is verified against the record.
 * key 0: empty. */
typedef struct tm_tb_cache_entry {
  uintptr_t key;
  uint32_t check;
  uint32_t id; /* interned traceback id */
} tm_tb_cache_entry_t;

/* Words of a hashed entry's raw row: the site, then up to
 * TM_TB_RAW_WORDS - 1 slot pointers (a traceback limit of up to 32 with a
 * one-frame site). */
#define TM_TB_RAW_WORDS 32
/* Entries of tm_shadow_below's memo (shadow_below.c), three words each,
 * in the memory of the raw rows (48 of their 64 KiB), picked by a
 * record's address and site word. */
#define TM_BELOW_SLOTS 2048
/* tm_shadow_below's path memo (shadow_below.c, "The path memo"): this many
 * entries of TM_PATH_WORDS words each (16 KiB, the rest of the 64 KiB),
 * each the records of one path of at most TM_PATH_RECS records (3 words
 * and 2 per record), in sets of TM_PATH_WAYS. SQLite's
 * allocation paths are 7 to 9 records, Lua's 4 to 5. */
#define TM_BELOW_PATHS 64
#define TM_PATH_RECS 14
#define TM_PATH_WORDS 32
#define TM_PATH_WAYS 2
/* The path memo of captures above limit 1 (traceback_paths.c): this many
 * entries of TM_TB_PATH_WORDS words (16 KiB), in sets of TM_TB_PATH_WAYS,
 * each a path of at most TM_TB_PATH_RECS records, the memo slot below it
 * and the id its capture got. */
#define TM_TB_PATHS 64
#define TM_TB_PATH_WORDS 32
#define TM_TB_PATH_WAYS 2
#define TM_TB_PATH_RECS 13
/* tm_thread_t.gather_stop when the last gather was not the common, clean
 * one. */
#define TM_GATHER_STOP_NONE UINTPTR_MAX
/* check of a hashed entry whose key did not fit its raw row. */
#define TM_TB_CHECK_RECORD 0x80000000u

/* Allocations a signal handler made while the runtime was busy on the
 * thread (internal.h, TM_REENTRANT_IGNORE's comment), in order. A power of
 * two. */
#define TM_DEFER_SLOTS 64

typedef struct tm_deferred {
  uintptr_t ptr;
  size_t size;
  const struct tm_site *site;
  uintptr_t kind; /* 0: an allocation; core.c's DEFER_FREE, DEFER_BLK_FREE */
  const struct tm_frame_record *top; /* __tm_shadow_top in the handler */
} tm_deferred_t;

/* The trailer-block operation state of one thread (trace_table.h,
 * "Trailer mode"). `busy` is the thread's lock: set around each trailer-block
 * operation with plain stores, waited for by whoever stops every operation
 * (snapshots, clear, fork: trace_table.c, lock_all); the one shared owner
 * of threads without state uses it as a spinlock. `count` is the trailer
 * traces of the current session this owner added minus those it removed
 * (a thread that frees another's blocks goes below zero: unsigned,
 * wrapping), so the sum over every owner is the number of trailer traces.
 * On a line of its own: no other thread writes near it on the hot path. */
typedef struct tm_blk_owner {
  _Atomic int busy;
  uint64_t count;
} __attribute__((aligned(64))) tm_blk_owner_t;

/* The header of a thread's mapping. Only its own thread reads or writes the
 * cache and the memo; the links belong to the registry lock and the threads
 * lock (both held to change them); blk_owner to the thread and, while they
 * hold its lock, to snapshots, clear and fork. */
typedef struct tm_thread {
  struct tm_thread *next, *prev; /* registry of live mappings */
  size_t map_bytes;              /* size of the whole mapping */
  tm_blk_owner_t blk_owner;
  /* The cache belongs to tm_tb_epoch `epoch` and to traceback limit
   * `limit` (0 on a fresh mapping: tm_tb_epoch starts at 1, so the first
   * capture flushes); a capture that sees another epoch or limit empties
   * it first. */
  uint64_t epoch;
  uintptr_t limit;
  uint64_t epoch1; /* epoch when limit is 1, else 0 (one test) */
  tm_tb_cache_entry_t cache[TM_TB_CACHE_SIZE];
  /* The deferred queue: entries [defer_head, defer_tail) (free-running
   * indices). Only this thread touches it: its signal handlers append
   * (reserve a slot by raising defer_tail, then fill it: a handler runs to
   * its end before the code it interrupted goes on), and the runtime
   * consumes when it is not busy, so no producer is ever half done then. */
  uint32_t defer_head, defer_tail;
  tm_deferred_t defer[TM_DEFER_SLOTS];
  /* The allocation history (history.h): this thread's registry index,
   * valid and non-zero while tm_tb_epoch is hist_epoch (0: look it up
   * again), which
   * tells the ids it owns; and its last traced allocation (temporaries). */
  uint32_t hist_self;
  uint64_t hist_epoch;
  uintptr_t hist_last;
  /* The record chain of the last capture, bottom-up, in the mapping after
   * the header (tm_shadow_gather): slot k (1..) holds its site in
   * gather[k], the frames slots 1..k expand to in gather_cum[k]'s low 16
   * bits (TM_CUM_COUNT: capped at 65535; gather_cum[0] is 0), the stamp of
   * the placement that wrote slot k in its high 16 (memo_stamp then;
   * traceback_paths.c) and, for the memo's slots 1..memo_len, the
   * record's address in gather_addr[k]. gather_scratch_site/addr: the
   * records one walk reads, top-down, before they are placed. */
  const struct tm_site **gather;
  uint32_t *gather_cum;
  uintptr_t *gather_addr;
  const struct tm_site **gather_scratch_site;
  uintptr_t *gather_scratch_addr;
  /* The record memo (shadow_gather.c, "Memo"): slots 1..memo_len are the
   * records of the stack whose top end is memo_hi, whose sites the walk
   * that memoised them tagged; memo_prev0 is the prev of slot 1's record. */
  uintptr_t memo_len;
  uintptr_t memo_hi;
  uintptr_t memo_prev0;
  uintptr_t memo_last; /* the slot memo_find last found by its search */
  /* The stamp of the last placement, << 16 (never 0: 1..65535). */
  uint32_t memo_stamp;
  /* The memo slot the last common, clean gather stopped at (0: the chain
   * ended), TM_GATHER_STOP_NONE otherwise or once tm_tb_paths_keep read
   * it. */
  uintptr_t gather_stop;
  /* The generation of the entries of `below` that are valid
   * (shadow_below.c), and of tb_paths (traceback_paths.c): one more per cache
   * sync and per capture at limit 1 that tm_shadow_gather makes (a handler on
   * the alternate stack, a replay), far from 2^32. */
  uint64_t below_gen;
  /* The path memo of captures above limit 1 (traceback_paths.c), valid
   * while an entry's generation is below_gen; 16 KiB, touched only as
   * used. */
  uintptr_t tb_paths[TM_TB_PATHS][TM_TB_PATH_WORDS]
      __attribute__((aligned(16))); // tm_entry_image_t

  /* Last: 64 KiB of the header mapping, touched only as used (and then
   * only the rows or entries filled), that serves one limit at a time:
   *  - above limit 1, the raw rows of the hashed cache entries
   *    (cache[k]'s is cache_raw[k]), valid while that entry's check says
   *    so;
   *  - at limit 1, tm_shadow_below's memo: {record address, its tagged
   *    site word, generation << 32 | frames to it << 16 | frames below
   *    it}, valid while the generation is below_gen; and its path memo
   *    (shadow_below.c, "The path memo"), whose entries carry their
   *    generation too.
   * tm_tb_thread_sync_slow starts a new generation when the limit (or the
   * epoch) changes. */
  union __attribute__((aligned(16))) { // below_paths: tm_entry_image_t
    uintptr_t cache_raw[TM_TB_CACHE_SIZE][TM_TB_RAW_WORDS];
    struct {
      uintptr_t below[TM_BELOW_SLOTS][3];
      uintptr_t below_paths[TM_BELOW_PATHS][TM_PATH_WORDS];
    };
  };
} tm_thread_t;

/* Header size, rounded to whole pages at run time. */
#define TM_THREAD_BYTES sizeof(tm_thread_t)

/* This thread's state, or NULL (no mapping yet, or the thread is exiting).
 * One initial-exec TLS word. Non-NULL implies that its gather arrays are
 * set up (shadow_stack.c sets them before this), which traceback.h's fast
 * path relies on. */
extern __thread tm_thread_t *tm_thread_self
    __attribute__((tls_model("initial-exec")));

/* This thread's state while it is live, even while tm_thread_self is
 * parked at NULL: a handler that queues a deferred allocation sets
 * tm_thread_self to NULL, so that the thread's next allocation leaves the
 * hooks' fast path (which reads tm_thread_self anyway) for the slow path,
 * which records the queue first (tm_core_flush_deferred), at no cost to
 * the fast path. NULL once the thread is exiting. */
extern __thread tm_thread_t *tm_thread_own
    __attribute__((tls_model("initial-exec")));

/* The shadow stack of this thread now, as {depth, frames}: slots
 * frames[1..depth], bottom-up: the records (__tm_shadow_top and down)
 * read from the top down, each checked before it is read: inside the stack the
 * thread is on (or, in a handler on sigaltstack, the alternate stack, then the
 * thread's) at strictly increasing addresses, and its site in a registered site
 * section (site_sections.h). A record above the caller's frame is live and
 * counts (an unknown frame when its site fails the check); one below it is
 * dead (left by an unwind through uninstrumented frames, until the next
 * instrumented exit repairs the chain) and is skipped; the first record
 * that fails the address check ends the chain as one unknown frame. Sites
 * go to t's gather buffer (frames points into it); with t NULL, frames is
 * NULL and every slot reads as unknown. At most TM_GATHER_SLOTS
 * - 1 records. Signal-safe; reads only this thread's state. */
struct tm_shadow tm_shadow_gather(tm_thread_t *t, bool own);

/* Dead records (below the capture's frame) are followed only this far
 * below it: the pages right under the stack pointer are mapped or, on the
 * main thread's growing stack, within the distance the kernel grows it
 * for. */
#define TM_DEAD_WINDOW ((uintptr_t)64 << 10)

/* tm_shadow_first's results (and tm_shadow_first_common's). */
enum { TM_FIRST_END, TM_FIRST_UNKNOWN, TM_FIRST_READ, TM_FIRST_GENERAL };

/* The start of a capture's walk on the thread's own stack [slo, top +
 * sizeof record), from the capture's frame fa: from *rp (the top record)
 * past the dead records (at or below fa, within TM_DEAD_WINDOW) and, with
 * own, the allocating function's own record (the first live one, whose
 * site is stale: *own_skipped says it was there). TM_FIRST_READ: *rp is
 * the first record to read, checked (in [*lo, top], aligned; *lo is just
 * above the last record passed); TM_FIRST_END: the chain ended first;
 * TM_FIRST_UNKNOWN: *rp failed the check (the chain ends there as one
 * unknown frame). No site is read. */
static inline bool tm_shadow_record_ok(uintptr_t a, uintptr_t lo,
                                       uintptr_t top) {
  return a >= lo && a <= top && !(a & (_Alignof(struct tm_frame_record) - 1));
}
static inline __attribute__((always_inline)) int
tm_shadow_first(const struct tm_frame_record **rp, uintptr_t fa, uintptr_t slo,
                uintptr_t top, bool own, uintptr_t *lo, bool *own_skipped) {
  const struct tm_frame_record *r = *rp;
  uintptr_t l = fa - slo > TM_DEAD_WINDOW ? fa - TM_DEAD_WINDOW : slo;
  int res = TM_FIRST_READ;
  *own_skipped = false;
  for (;;) { // the dead records
    uintptr_t a = (uintptr_t)r;
    if (!r) {
      res = TM_FIRST_END;
      goto out;
    }
    if (__builtin_expect(!tm_shadow_record_ok(a, l, top), 0)) {
      res = TM_FIRST_UNKNOWN;
      goto out;
    }
    if (a > fa)
      break; // live
    l = a + 1;
    r = r->prev;
  }
  if (own) { // the allocating function's own record: not read
    *own_skipped = true;
    l = (uintptr_t)r + 1;
    r = r->prev;
    if (!r)
      res = TM_FIRST_END;
    else if (__builtin_expect(!tm_shadow_record_ok((uintptr_t)r, l, top), 0))
      res = TM_FIRST_UNKNOWN;
  }
out:
  *rp = r;
  *lo = l;
  return res;
}

/* tm_shadow_first's common case, for the memos' hits: the top record *rp
 * live (above fa: so there is no dead record) and in this stack, then,
 * with own, the record below it. TM_FIRST_READ: *rp is the first record to
 * read; TM_FIRST_END: the chain ends at the own record; TM_FIRST_GENERAL:
 * anything else, for tm_shadow_first (fa must be in the thread's stack,
 * so that a > fa implies a >= its bottom). No site is read. */
static inline __attribute__((always_inline)) int
tm_shadow_first_common(const struct tm_frame_record **rp, uintptr_t fa,
                       uintptr_t top, bool own) {
  const struct tm_frame_record *r = *rp;
  uintptr_t a = (uintptr_t)r;
  // Written out, not tm_shadow_record_ok: no lower bound to test, and the
  // compiler keeps these compares as branches.
  if (__builtin_expect(a <= fa || a > top ||
                           (a & (_Alignof(struct tm_frame_record) - 1)),
                       0))
    return TM_FIRST_GENERAL;
  if (own) { // the allocating function's own record: not read
    r = r->prev;
    if (!r)
      return TM_FIRST_END;
    uintptr_t b = (uintptr_t)r;
    if (__builtin_expect(b <= a || b > top ||
                             (b & (_Alignof(struct tm_frame_record) - 1)),
                         0))
      return TM_FIRST_GENERAL;
  }
  *rp = r;
  return TM_FIRST_READ;
}

/* The path memos' hit (shadow_below.c, "The path memo"; traceback_paths.c):
 * an entry keeps an image of each record of a path as a hit must find it,
 * {prev, untagged site word}, the first record's first; the first record is
 * at a, each next one where the previous image's prev says. Every record
 * is loaded at the address the entry gives, not the one the previous
 * record's prev gives, so no load waits on another, and the differences
 * are or-ed into one test (the site lanes' tag bits dropped at the end).
 * The caller has checked that the addresses are in this stack (they rise
 * from a to the last record's). Returns the prev of the last image (the
 * record below the path, 0 for none) when every record matches its image,
 * else TM_PATH_DIFFERS (records are aligned: never a record's address). */
typedef uintptr_t tm_record_image_t
    __attribute__((vector_size(2 * sizeof(uintptr_t)), aligned(8), may_alias));
/* An entry's images are 16-byte aligned (_Static_asserts in the two
 * files): the compare reads them as an operand, with no load of its own. */
typedef uintptr_t tm_entry_image_t
    __attribute__((vector_size(2 * sizeof(uintptr_t)), aligned(16), may_alias));
_Static_assert(offsetof(struct tm_frame_record, prev) == 0 &&
                   offsetof(struct tm_frame_record, site) == sizeof(void *),
               "a record's image is {prev, site}");
#define TM_PATH_DIFFERS ((uintptr_t)1)
static inline __attribute__((always_inline)) uintptr_t tm_path_images_match(
    uintptr_t a, const uintptr_t *image, const uintptr_t *end) {
  tm_record_image_t diff = {0, 0};
  // Paths are short (4 to 9 records): unrolled, the loop costs more.
#if defined(__clang__)
#pragma clang loop unroll(disable) vectorize(disable)
#endif
  for (; image != end; image += 2) {
    diff |= *(const tm_record_image_t *)a ^ *(const tm_entry_image_t *)image;
    a = image[0];
  }
  return (diff[0] | (diff[1] & ~(uintptr_t)1)) ? TM_PATH_DIFFERS : a;
}

/* The frames of the records below a capture's site (own: as for
 * tm_shadow_gather), capped at TM_TOTAL_CAP: what total_nframe needs at
 * traceback limit 1, counted as tm_shadow_gather counts them, without
 * gathering the sites (shadow_below.c). t is this thread's state, non-NULL,
 * its cache synced to limit 1. TM_BELOW_NONE when the capture is not the
 * common one (the alternate signal stack, a replay, a chain that ends in
 * an unknown frame or at the cap): then use tm_shadow_gather. */
#define TM_BELOW_NONE UINT32_MAX
uint32_t tm_shadow_below(tm_thread_t *t, bool own);
/* The frames of all the records (an allocation that came with no site),
 * as tm_shadow_below(t, false) counts them, and in *site0 the site of the
 * top live record: the traceback's one frame at limit 1. *site0 is NULL
 * when there is no record or its site is unknown (then the general
 * capture says what the traceback is). */
uint32_t tm_shadow_below_top(tm_thread_t *t, const struct tm_site **site0);

/* tm_shadow_below when there is a record; with none, nothing is below,
 * unless the site's function pushed one (own): then, as the gather's own
 * slot missing, TM_BELOW_NONE. */
static inline __attribute__((always_inline)) uint32_t
tm_shadow_below_now(tm_thread_t *t, bool own) {
  if (!TM_LIMIT1_COUNT_WALKS) // a measurement device (bench_constant_count.h)
    return TM_BENCH_COUNT_BELOW;
  if (__tm_shadow_top == NULL)
    return own ? TM_BELOW_NONE : 0;
  return tm_shadow_below(t, own);
}

/* own: the capture's site has TM_SITE_OWN_FRAME; the first live record is
 * then its function's own, whose site field is stale: it is the top slot
 * as an unknown frame, never read (the consumer drops the top slot). */
static inline __attribute__((always_inline)) struct tm_shadow
tm_shadow_current(tm_thread_t *t, bool own) {
  if (__tm_shadow_top == NULL) {
    struct tm_shadow none = {0, t ? t->gather : NULL};
    return none;
  }
  return tm_shadow_gather(t, own);
}

/* Set while the runtime replays a signal handler's deferred allocation
 * with the handler's (dead) top (core.c): the capture then neither uses
 * nor writes the record memo. */
extern __thread int tm_shadow_replay __attribute__((tls_model("initial-exec")));

/* Record the deferred queue of `t`, this thread's (core.c; tm_reentrant
 * must be 0). */
void tm_core_flush_queue(tm_thread_t *t);

/* A new mapping for the state of a stack other than a thread's own (a
 * makecontext stack, hooks/context_switch.c): `header` bytes for the
 * caller, rounded up to whole pages and zeroed; NULL if the mapping fails.
 * Never unmapped (a context may be switched to at any time, in a fork
 * child too); counted by tm_shadow_memory. */
void *tm_shadow_context_map(size_t header);

/* Resident bytes of every live thread's mapping (header and gather
 * arrays) and of the context mappings, measured now with mincore(). */
size_t tm_shadow_memory(void);

/* The threads lock (trace_table.c's lock_all: after the shard locks,
 * before the intern lock). While it is held no thread is set up or torn
 * down: a thread that exits waits for the unlock before it unmaps its
 * blk_owner. */
void tm_shadow_threads_lock(void);
void tm_shadow_threads_unlock(void);
#ifdef TM_DEBUG
bool tm_shadow_threads_locked(void);
#endif
/* With the threads lock held: wait until no live thread's blk_owner is
 * busy (the caller has stopped new operations first). */
void tm_shadow_threads_wait_idle(void);
/* With tm_shadow_threads_lock held: the sum of every live thread's
 * blk_owner count and of the counts of the threads that are gone; and
 * setting them all to 0 (tm_clear_traces). */
uint64_t tm_shadow_blk_count_locked(void);
void tm_shadow_blk_count_clear_locked(void);
#ifdef TM_DEBUG
/* Add delta to this thread's count (or to the count of the threads gone,
 * on a thread without state): tm_trace_table_debug_corrupt. */
void tm_shadow_blk_count_debug_add_locked(int64_t delta);
#endif

/* fork(): the registry lock, taken last (after raw_alloc's locks; the
 * threads lock is taken earlier, by tm_trace_table_lock_all); the child
 * forgets, and unmaps, the mappings of the threads that do not exist in it
 * (their trailer counts stay in the sum: their blocks are still the
 * child's), and resets the threads lock. */
void tm_shadow_atfork_prepare(void);
void tm_shadow_atfork_parent(void);
void tm_shadow_atfork_child(void);

#endif /* TM_SHADOW_STACK_H */
