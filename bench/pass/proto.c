/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proto.c - hand-written prototypes of the traced frame (issue #15): what
 * each candidate per-frame scheme would cost in the traced copies, before
 * any of them is put in the pass. Plain clang -O2 compiles the same two
 * kernels as floor.c (bench.c's fib_alloc and walk in the shape -O2 gives
 * them: the last recursive call turned into a loop), each with the frame
 * code the pass would emit for that scheme, shrink-wrapped as the pass
 * does (fib pushes only when n >= 2, walk only when t != NULL):
 *
 *   *_plain  no frame: the baseline;
 *   *_v3     ABI v3's traced frame (today): TLS {depth, ring}: load the
 *            depth, store depth + 1, store the site into ring[own & mask],
 *            store the saved depth back at exit;
 *   *_list   (a) an in-frame record {prev, site} linked from a TLS top
 *            pointer: entry loads top, stores prev and site into the record
 *            and &record into top; exit stores the record's prev back (read
 *            from the record, so nothing is kept in a register across the
 *            calls). No depth: total_nframe is found by walking at capture;
 *   *_listd  (a) with a depth in the record too ({prev, site, depth}, the
 *            depth read through prev), so that total_nframe is O(1);
 *   *_dec    ABI v3's layout with `depth -= 1` at exit instead of storing
 *            the saved depth (nothing live across the calls). Not exact
 *            (an unwind by uninstrumented code leaves the depth wrong for
 *            good), measured to see what the saved register costs;
 *   *_ctx    (d) a calling-context integer: `ctx += K` before each call
 *            that may reach an allocation and `ctx -= K` after it (PCCE's
 *            per-call-site work, without what recursion and indirect calls
 *            need on top of it);
 *   *_local  the site stored into a slot of the frame's own stack memory
 *            and nothing else (no TLS at all): the floor of any scheme that
 *            marks a frame as live, (b) before the work its capture and
 *            exactness need;
 *   *_fp, *_fpsite  (proto_fp.c, built with -fno-omit-frame-pointer) the
 *            frame pointer alone, and with the site stored in the frame:
 *            a traced copy found by walking the frame-pointer chain.
 *
 * Prints "name best_ns calls" per kernel. Usage: proto [scale]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tree.h"

#define NOINLINE __attribute__((noinline))
#define TLS_IE __attribute__((tls_model("initial-exec")))

struct proto_shadow {
  uintptr_t depth;
  const void **frames;
};
extern _Thread_local struct proto_shadow proto_shadow TLS_IE;
#define PROTO_MASK ((1u << 20) - 1)

struct proto_rec {
  struct proto_rec *prev;
  const void *site;
};
struct proto_recd {
  struct proto_recd *prev;
  const void *site;
  uintptr_t depth;
};
extern _Thread_local struct proto_rec *proto_top TLS_IE;
extern _Thread_local uintptr_t proto_ctx TLS_IE;

/* The same words reached with the local-exec model (`%fs:sym@tpoff`, no
 * register for the thread-local's address), which the pass could use in a
 * module of an executable (PIE or not) linked with the static runtime. */
#define TLS_LE __attribute__((tls_model("local-exec")))
extern _Thread_local struct proto_shadow proto_shadow_le TLS_LE;
extern _Thread_local struct proto_rec *proto_top_le TLS_LE;
extern _Thread_local uintptr_t proto_ctx_le TLS_LE;
/* (e) a TLS pointer to the top slot of a ring of 2^20 pointers aligned to
 * 2^24 bytes: the next slot is (top + 8) with bit 23 cleared, one `and`
 * with a sign-extended 32-bit immediate. */
extern _Thread_local const void **proto_sp_le TLS_LE;
extern const void **proto_sp_base;
#define PROTO_WRAP (~(uintptr_t)(1u << 23))

static const char fib_site[] = "fib", walk_site[] = "walk";
#define FIB_K 0x1234u /* the call site's increment, for *_ctx */
#define WALK_K 0x5678u

/* Shared with proto_fp.c (built with other flags). */
volatile int proto_trigger = -1; /* never matches */
void *volatile proto_sink;
uint64_t proto_leaves;
#define trigger proto_trigger
#define sink proto_sink
#define leaves proto_leaves

long fib_fp(int n), fib_fpsite(int n);
long walk_fp(const struct node *t), walk_fpsite(const struct node *t);
uint64_t tree_fp(unsigned depth, uint64_t x),
    tree_fpsite(unsigned depth, uint64_t x);

/* ---- fib ---- */

NOINLINE long fib_plain(int n) {
  long r = 0;
  for (; n >= 2; n -= 2)
    r += fib_plain(n - 1);
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_v3(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_shadow *sh = &proto_shadow;
    uintptr_t d = sh->depth, own = d + 1;
    sh->depth = own;
    __atomic_store_n(&sh->frames[own & PROTO_MASK], fib_site,
                     __ATOMIC_RELAXED);
    for (; n >= 2; n -= 2)
      r += fib_v3(n - 1);
    sh->depth = d;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_list(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_rec rec = {proto_top, fib_site};
    proto_top = &rec;
    for (; n >= 2; n -= 2)
      r += fib_list(n - 1);
    proto_top = rec.prev;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_listd(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_recd *prev = (struct proto_recd *)proto_top;
    struct proto_recd rec = {prev, fib_site, prev ? prev->depth + 1 : 1};
    proto_top = (struct proto_rec *)&rec;
    for (; n >= 2; n -= 2)
      r += fib_listd(n - 1);
    proto_top = (struct proto_rec *)rec.prev;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_dec(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_shadow *sh = &proto_shadow;
    uintptr_t own = sh->depth + 1;
    sh->depth = own;
    __atomic_store_n(&sh->frames[own & PROTO_MASK], fib_site,
                     __ATOMIC_RELAXED);
    for (; n >= 2; n -= 2)
      r += fib_dec(n - 1);
    sh->depth -= 1;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_ctx(int n) {
  long r = 0;
  for (; n >= 2; n -= 2) {
    proto_ctx += FIB_K;
    r += fib_ctx(n - 1);
    proto_ctx -= FIB_K;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_local(int n) {
  long r = 0;
  if (n >= 2) {
    const void *volatile slot = fib_site;
    (void)slot;
    for (; n >= 2; n -= 2)
      r += fib_local(n - 1);
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_v3le(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_shadow *sh = &proto_shadow_le;
    uintptr_t d = sh->depth, own = d + 1;
    sh->depth = own;
    __atomic_store_n(&sh->frames[own & PROTO_MASK], fib_site,
                     __ATOMIC_RELAXED);
    for (; n >= 2; n -= 2)
      r += fib_v3le(n - 1);
    sh->depth = d;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_decle(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_shadow *sh = &proto_shadow_le;
    uintptr_t own = sh->depth + 1;
    sh->depth = own;
    __atomic_store_n(&sh->frames[own & PROTO_MASK], fib_site,
                     __ATOMIC_RELAXED);
    for (; n >= 2; n -= 2)
      r += fib_decle(n - 1);
    sh->depth -= 1;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_listle(int n) {
  long r = 0;
  if (n >= 2) {
    struct proto_rec rec = {proto_top_le, fib_site};
    proto_top_le = &rec;
    for (; n >= 2; n -= 2)
      r += fib_listle(n - 1);
    proto_top_le = rec.prev;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_ctxle(int n) {
  long r = 0;
  for (; n >= 2; n -= 2) {
    proto_ctx_le += FIB_K;
    r += fib_ctxle(n - 1);
    proto_ctx_le -= FIB_K;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

NOINLINE long fib_ptrle(int n) {
  long r = 0;
  if (n >= 2) {
    const void **s = proto_sp_le;
    const void **own = (const void **)(((uintptr_t)(s + 1)) & PROTO_WRAP);
    proto_sp_le = own;
    __atomic_store_n(own, fib_site, __ATOMIC_RELAXED);
    for (; n >= 2; n -= 2)
      r += fib_ptrle(n - 1);
    proto_sp_le = s;
  }
  if (n == trigger)
    sink = malloc(16);
  return r + n;
}

/* ---- walk ---- */

NOINLINE long walk_plain(const struct node *t) {
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_plain(t->l);
  }
  return r;
}

NOINLINE long walk_v3(const struct node *t) {
  if (!t)
    return 0;
  struct proto_shadow *sh = &proto_shadow;
  uintptr_t d = sh->depth, own = d + 1;
  sh->depth = own;
  __atomic_store_n(&sh->frames[own & PROTO_MASK], walk_site,
                   __ATOMIC_RELAXED);
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_v3(t->l);
  }
  sh->depth = d;
  return r;
}

NOINLINE long walk_list(const struct node *t) {
  if (!t)
    return 0;
  struct proto_rec rec = {proto_top, walk_site};
  proto_top = &rec;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_list(t->l);
  }
  proto_top = rec.prev;
  return r;
}

NOINLINE long walk_listd(const struct node *t) {
  if (!t)
    return 0;
  struct proto_recd *prev = (struct proto_recd *)proto_top;
  struct proto_recd rec = {prev, walk_site, prev ? prev->depth + 1 : 1};
  proto_top = (struct proto_rec *)&rec;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_listd(t->l);
  }
  proto_top = (struct proto_rec *)rec.prev;
  return r;
}

NOINLINE long walk_dec(const struct node *t) {
  if (!t)
    return 0;
  struct proto_shadow *sh = &proto_shadow;
  uintptr_t own = sh->depth + 1;
  sh->depth = own;
  __atomic_store_n(&sh->frames[own & PROTO_MASK], walk_site,
                   __ATOMIC_RELAXED);
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_dec(t->l);
  }
  sh->depth -= 1;
  return r;
}

NOINLINE long walk_ctx(const struct node *t) {
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    proto_ctx += WALK_K;
    r += t->v + walk_ctx(t->l);
    proto_ctx -= WALK_K;
  }
  return r;
}

NOINLINE long walk_local(const struct node *t) {
  if (!t)
    return 0;
  const void *volatile slot = walk_site;
  (void)slot;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_local(t->l);
  }
  return r;
}

NOINLINE long walk_v3le(const struct node *t) {
  if (!t)
    return 0;
  struct proto_shadow *sh = &proto_shadow_le;
  uintptr_t d = sh->depth, own = d + 1;
  sh->depth = own;
  __atomic_store_n(&sh->frames[own & PROTO_MASK], walk_site,
                   __ATOMIC_RELAXED);
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_v3le(t->l);
  }
  sh->depth = d;
  return r;
}

NOINLINE long walk_decle(const struct node *t) {
  if (!t)
    return 0;
  struct proto_shadow *sh = &proto_shadow_le;
  uintptr_t own = sh->depth + 1;
  sh->depth = own;
  __atomic_store_n(&sh->frames[own & PROTO_MASK], walk_site,
                   __ATOMIC_RELAXED);
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_decle(t->l);
  }
  sh->depth -= 1;
  return r;
}

NOINLINE long walk_listle(const struct node *t) {
  if (!t)
    return 0;
  struct proto_rec rec = {proto_top_le, walk_site};
  proto_top_le = &rec;
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_listle(t->l);
  }
  proto_top_le = rec.prev;
  return r;
}

NOINLINE long walk_ctxle(const struct node *t) {
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    proto_ctx_le += WALK_K;
    r += t->v + walk_ctxle(t->l);
    proto_ctx_le -= WALK_K;
  }
  return r;
}

NOINLINE long walk_ptrle(const struct node *t) {
  if (!t)
    return 0;
  const void **s = proto_sp_le;
  const void **own = (const void **)(((uintptr_t)(s + 1)) & PROTO_WRAP);
  proto_sp_le = own;
  __atomic_store_n(own, walk_site, __ATOMIC_RELAXED);
  long r = 0;
  for (; t; t = t->r) {
    if (t->v == trigger)
      sink = malloc(8);
    r += t->v + walk_ptrle(t->l);
  }
  proto_sp_le = s;
  return r;
}

/* ---- tree: issue 15's call-heavy recursion (bench/workloads/recursion.c's
 * tree(), leaves allocate once per 65,536 calls): two storing calls per
 * frame, so the site is stored before each call (ABI v3 does the same). */

static const char tree_site1[] = "tree1", tree_site2[] = "tree2";
#define TREE_K1 0x100u
#define TREE_K2 0x200u
#define TREE_LEAF(x)                                                           \
  do {                                                                         \
    if (leaves++ % 65536 == 0)                                                 \
      sink = malloc(32 + (size_t)((x) & 63));                                  \
    return (x) * 0x9E3779B97F4A7C15ull >> 7;                                   \
  } while (0)

NOINLINE uint64_t tree_plain(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  uint64_t a = tree_plain(depth - 1, 2 * x);
  uint64_t b = tree_plain(depth - 1, 2 * x + 1);
  return (a ^ (b << 1)) + depth;
}

#define TREE_V3(NAME, SHADOW)                                                  \
  NOINLINE uint64_t NAME(unsigned depth, uint64_t x) {                         \
    if (depth == 0)                                                            \
      TREE_LEAF(x);                                                            \
    struct proto_shadow *sh = &SHADOW;                                         \
    uintptr_t d = sh->depth, own = d + 1;                                      \
    sh->depth = own;                                                           \
    const void **slot = &sh->frames[own & PROTO_MASK];                         \
    __atomic_store_n(slot, tree_site1, __ATOMIC_RELAXED);                      \
    uint64_t a = NAME(depth - 1, 2 * x);                                       \
    __atomic_store_n(slot, tree_site2, __ATOMIC_RELAXED);                      \
    uint64_t b = NAME(depth - 1, 2 * x + 1);                                   \
    sh->depth = d;                                                             \
    return (a ^ (b << 1)) + depth;                                             \
  }
TREE_V3(tree_v3, proto_shadow)
TREE_V3(tree_v3le, proto_shadow_le)

NOINLINE uint64_t tree_decle(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  struct proto_shadow *sh = &proto_shadow_le;
  uintptr_t own = sh->depth + 1;
  sh->depth = own;
  const void **slot = &sh->frames[own & PROTO_MASK];
  __atomic_store_n(slot, tree_site1, __ATOMIC_RELAXED);
  uint64_t a = tree_decle(depth - 1, 2 * x);
  __atomic_store_n(slot, tree_site2, __ATOMIC_RELAXED);
  uint64_t b = tree_decle(depth - 1, 2 * x + 1);
  sh->depth -= 1;
  return (a ^ (b << 1)) + depth;
}

NOINLINE uint64_t tree_listle(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  struct proto_rec rec = {proto_top_le, tree_site1};
  proto_top_le = &rec;
  uint64_t a = tree_listle(depth - 1, 2 * x);
  rec.site = tree_site2;
  uint64_t b = tree_listle(depth - 1, 2 * x + 1);
  proto_top_le = rec.prev;
  return (a ^ (b << 1)) + depth;
}

NOINLINE uint64_t tree_ctxle(unsigned depth, uint64_t x) {
  if (depth == 0)
    TREE_LEAF(x);
  proto_ctx_le += TREE_K1;
  uint64_t a = tree_ctxle(depth - 1, 2 * x);
  proto_ctx_le += TREE_K2 - TREE_K1;
  uint64_t b = tree_ctxle(depth - 1, 2 * x + 1);
  proto_ctx_le -= TREE_K2;
  return (a ^ (b << 1)) + depth;
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  int reps = scale ? 7 : 1, fibn = scale ? 32 : 22, depth = scale ? 20 : 14;
  long next = 0;
  struct node *root = build(depth, &next);
  long fib_calls = 0;
  for (long a = 0, b = 1, i = 0; i <= fibn; i++, fib_calls = 2 * a - 1) {
    long t = a + b;
    a = b;
    b = t;
  }
  struct {
    const char *name;
    long (*fib)(int);
    long (*walk)(const struct node *);
    long long fib_ns, walk_ns;
  } k[] = {{"plain", fib_plain, walk_plain, -1, -1},
           {"v3", fib_v3, walk_v3, -1, -1},
           {"list", fib_list, walk_list, -1, -1},
           {"listd", fib_listd, walk_listd, -1, -1},
           {"dec", fib_dec, walk_dec, -1, -1},
           {"ctx", fib_ctx, walk_ctx, -1, -1},
           {"local", fib_local, walk_local, -1, -1},
           {"v3le", fib_v3le, walk_v3le, -1, -1},
           {"decle", fib_decle, walk_decle, -1, -1},
           {"listle", fib_listle, walk_listle, -1, -1},
           {"ctxle", fib_ctxle, walk_ctxle, -1, -1},
           {"ptrle", fib_ptrle, walk_ptrle, -1, -1},
           {"fp", fib_fp, walk_fp, -1, -1},
           {"fpsite", fib_fpsite, walk_fpsite, -1, -1}};
  enum { NK = sizeof k / sizeof k[0] };
  volatile long acc = 0;
  long check_fib = -1, check_walk = -1;
  // Interleaved, best of `reps`: machine noise hits every variant alike.
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < NK; i++) {
      long long t0 = now_ns();
      long f = k[i].fib(fibn);
      long long t1 = now_ns();
      long w = k[i].walk(root);
      long long t2 = now_ns();
      // Every variant computes the same thing: a wrong prototype is caught.
      if ((check_fib >= 0 && f != check_fib) ||
          (check_walk >= 0 && w != check_walk)) {
        fprintf(stderr, "proto: %s computes another result\n", k[i].name);
        return 1;
      }
      check_fib = f;
      check_walk = w;
      acc += f + w;
      if (k[i].fib_ns < 0 || t1 - t0 < k[i].fib_ns)
        k[i].fib_ns = t1 - t0;
      if (k[i].walk_ns < 0 || t2 - t1 < k[i].walk_ns)
        k[i].walk_ns = t2 - t1;
    }
  // Every frame popped: the frame code is balanced.
  if (proto_top || proto_ctx || proto_shadow.depth || proto_top_le ||
      proto_ctx_le || proto_shadow_le.depth || proto_sp_le != proto_sp_base) {
    fprintf(stderr, "proto: a frame was not popped\n");
    return 1;
  }
  struct {
    const char *name;
    uint64_t (*tree)(unsigned, uint64_t);
    long long ns;
  } tk[] = {{"plain", tree_plain, -1}, {"v3", tree_v3, -1},
            {"v3le", tree_v3le, -1},   {"decle", tree_decle, -1},
            {"listle", tree_listle, -1}, {"ctxle", tree_ctxle, -1},
            {"fp", tree_fp, -1},         {"fpsite", tree_fpsite, -1}};
  enum { NT = sizeof tk / sizeof tk[0] };
  unsigned tdepth = scale ? 22 : 14;
  uint64_t check_tree = 0;
  for (int r = 0; r < reps; r++)
    for (int i = 0; i < NT; i++) {
      leaves = 1; // the same allocations in every variant (none when small)
      long long t0 = now_ns();
      uint64_t h = tk[i].tree(tdepth, 1);
      long long t1 = now_ns();
      if (i && h != check_tree) {
        fprintf(stderr, "proto: tree_%s computes another result\n",
                tk[i].name);
        return 1;
      }
      check_tree = h;
      acc += (long)h;
      if (tk[i].ns < 0 || t1 - t0 < tk[i].ns)
        tk[i].ns = t1 - t0;
    }
  for (int i = 0; i < NK; i++)
    printf("fib_%s %lld %ld\n", k[i].name, k[i].fib_ns, fib_calls);
  for (int i = 0; i < NK; i++)
    printf("walk_%s %lld %ld\n", k[i].name, k[i].walk_ns, 2 * next + 1);
  for (int i = 0; i < NT; i++)
    printf("tree_%s %lld %ld\n", tk[i].name, tk[i].ns,
           (2L << tdepth) - 1);
  return (int)(acc & 1) * 0;
}
