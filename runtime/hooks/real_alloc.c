/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* real_alloc.c - "the real allocator": where the __tm_* hooks, the C++
 * operators and the interposed malloc family (interpose.c) send a block.
 *
 * It is not always glibc. The rule, decided once per process:
 *
 * - Ours in effect: the malloc the process uses (the global symbol) is the
 *   one interpose.c defines. The real allocator is the NEXT definition after
 *   the runtime, dlsym(RTLD_NEXT, ...): glibc, or a jemalloc / tcmalloc
 *   that the program links (-ljemalloc) or preloads. Every allocation of the
 *   process, libc's included, passes through us and is traced.
 *
 * - The program's: something else defines the malloc in effect (the program
 *   or a static library in it, whose strong malloc beats our weak one; a
 *   malloc library loaded before libtracemalloc.so; glibc's own in a -static
 *   program). That malloc family is the real allocator and we only see the
 *   calls of instrumented code (libc calls the program's malloc directly).
 *
 * In both cases every function comes from the ONE object that defines the
 * chosen malloc (dladdr), so that no block ever reaches a free that did not
 * make it. A function that object lacks (a partial set: a program that
 * defines malloc and free only; jemalloc has no pvalloc) is derived from the
 * functions it has, or fails, never borrowed from another allocator:
 *   calloc          malloc + memset (overflow: NULL, ENOMEM)
 *   realloc         malloc + copy of malloc_usable_size bytes + free; without
 *                   malloc_usable_size only realloc(NULL, n) (= malloc) and
 *                   realloc(p, 0) (= free) work, others fail with ENOMEM
 *   free            does nothing (the block leaks: it has no owner to go to)
 *   memalign, aligned_alloc, posix_memalign, valloc, pvalloc
 *                   one of the object's aligned functions; without any,
 *                   malloc when the alignment is at most max_align_t's,
 *                   else NULL / ENOMEM
 *   malloc_usable_size  0 (no byte beyond what was asked for is promised)
 *
 * Bootstrap. The table starts out pointing at "resolve, then call" entry
 * points, so the hot path never tests whether it is resolved (one relaxed
 * load of the pointer, one indirect call). dlsym and dladdr may allocate
 * (glibc: dlerror's buffer) while we resolve; such a call on the resolving
 * thread gets a block from a small static arena. If that ever happens,
 * free, realloc and malloc_usable_size get wrappers that recognise arena
 * blocks (free ignores them): the fast path stays untouched otherwise.
 * Racing threads resolve the same values; the stores are relaxed atomics.
 * The arena itself is boot_arena.c.
 *
 * Over 450 lines, one concept: the table, its resolution, the bootstrap
 * entry points and the derived functions refer to each other in a circle
 * (the table starts at the entry points, which resolve; resolution points
 * the table at the derived functions, which call through the table), so as
 * separate files they would be a cycle.
 */
#include "boot_arena.h"
#include "hooks.h"
#include "rendezvous.h"

#if !TM_SANITIZER_MODE

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define TM_OURS(NAME) tm_interpose_##NAME

/* glibc's own entry points (exported by libc.so.6 and by libc.a's
 * malloc.o, not declared in any header): the allocator when ours is in
 * effect but dlsym cannot tell what comes next. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* ---- Bootstrap state ------------------------------------------------------
 */

/* Set while this thread resolves: its allocations go to the boot arena. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

/* ---- The table --------------------------------------------------------------
 */

static void *boot_malloc(size_t);
static void *boot_calloc(size_t, size_t);
static void *boot_realloc(void *, size_t);
static void boot_free(void *);
static void *boot_memalign(size_t, size_t);
static void *boot_aligned_alloc(size_t, size_t);
static int boot_posix_memalign(void **, size_t, size_t);
static void *boot_valloc(size_t);
static void *boot_pvalloc(size_t);
static size_t boot_malloc_usable_size(void *);

struct tm_real_allocator tm_real = {
    .malloc = boot_malloc,
    .calloc = boot_calloc,
    .realloc = boot_realloc,
    .free = boot_free,
    .memalign = boot_memalign,
    .aligned_alloc = boot_aligned_alloc,
    .posix_memalign = boot_posix_memalign,
    .valloc = boot_valloc,
    .pvalloc = boot_pvalloc,
    .malloc_usable_size = boot_malloc_usable_size,
};

_Atomic int tm_real_ours_in_effect;
_Atomic int tm_real_is_glibc;

/* The functions of the chosen object, before the arena wrappers; NULL for
 * the optional ones it lacks (malloc_usable_size and the aligned ones). */
static struct {
  void *(*malloc)(size_t);
  void (*free)(void *);
  void *(*realloc)(void *, size_t);
  size_t (*malloc_usable_size)(void *);
  void *(*memalign)(size_t, size_t);
  void *(*aligned_alloc)(size_t, size_t);
  int (*posix_memalign)(void **, size_t, size_t);
} have;

#define LOAD(F) atomic_load_explicit(&tm_real.F, memory_order_relaxed)
#define STORE(F, V) atomic_store_explicit(&tm_real.F, (V), memory_order_relaxed)

/* ---- Derived functions (a partial set)
 * ---------------------------------------- */

static void *derived_calloc(size_t nmemb, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = LOAD(malloc)(total);
  if (p != NULL)
    memset(p, 0, total);
  return p;
}

static void derived_free(void *ptr) { (void)ptr; }

static void *derived_realloc(void *ptr, size_t size) {
  if (ptr == NULL)
    return LOAD(malloc)(size);
  if (size == 0) {
    LOAD(free)(ptr);
    return NULL;
  }
  if (have.malloc_usable_size == NULL) {
    errno = ENOMEM; /* the old size is unknown: the block stays valid */
    return NULL;
  }
  size_t old = have.malloc_usable_size(ptr);
  void *p = LOAD(malloc)(size);
  if (p == NULL)
    return NULL;
  memcpy(p, ptr, old < size ? old : size);
  LOAD(free)(ptr);
  return p;
}

static int pow2(size_t a) { return a != 0 && (a & (a - 1)) == 0; }

static void *derived_memalign(size_t alignment, size_t size) {
  if (have.memalign != NULL)
    return have.memalign(alignment, size);
  if (have.posix_memalign != NULL) {
    void *p = NULL;
    if (alignment < sizeof(void *))
      alignment = sizeof(void *);
    int rc = have.posix_memalign(&p, alignment, size);
    if (rc != 0)
      errno = rc;
    return rc == 0 ? p : NULL;
  }
  if (have.aligned_alloc != NULL)
    return have.aligned_alloc(alignment,
                              (size + alignment - 1) & ~(alignment - 1));
  if (pow2(alignment) && alignment <= _Alignof(max_align_t))
    return LOAD(malloc)(size);
  errno = ENOMEM;
  return NULL;
}

static void *derived_aligned_alloc(size_t alignment, size_t size) {
  return LOAD(memalign)(alignment, size);
}

static int derived_posix_memalign(void **memptr, size_t alignment,
                                  size_t size) {
  size_t q = alignment / sizeof(void *);
  if (alignment % sizeof(void *) != 0 || !pow2(q))
    return EINVAL;
  int saved = errno;
  void *p = LOAD(memalign)(alignment, size);
  int rc = p != NULL ? 0 : (errno != 0 ? errno : ENOMEM);
  errno = saved;
  if (p != NULL)
    *memptr = p;
  return rc;
}

static void *derived_valloc(size_t size) {
  return LOAD(memalign)((size_t)sysconf(_SC_PAGESIZE), size);
}

static void *derived_pvalloc(size_t size) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t rounded = (size + page - 1) & ~(page - 1);
  if (rounded < size) {
    errno = ENOMEM;
    return NULL;
  }
  return LOAD(memalign)(page, rounded ? rounded : page);
}

static size_t derived_malloc_usable_size(void *ptr) {
  (void)ptr;
  return 0;
}

/* ---- Arena-aware wrappers (installed only if the arena was used)
 * ------------- */

static void arena_aware_free(void *ptr) {
  if (!tm_boot_arena_contains(ptr))
    have.free(ptr);
}

static void *arena_aware_realloc(void *ptr, size_t size) {
  if (!tm_boot_arena_contains(ptr))
    return have.realloc(ptr, size);
  void *p = LOAD(malloc)(size);
  if (p != NULL) {
    size_t old = tm_boot_arena_size(ptr);
    memcpy(p, ptr, old < size ? old : size);
  }
  return p;
}

static size_t arena_aware_malloc_usable_size(void *ptr) {
  if (ptr != NULL && tm_boot_arena_contains(ptr))
    return tm_boot_arena_size(ptr);
  return have.malloc_usable_size ? have.malloc_usable_size(ptr) : 0;
}

/* ---- Resolution
 * ------------------------------------------------------------------ */

/* Hide where a function address came from, so that the compiler cannot
 * fold "is the global malloc our definition?" at compile time. */
static void *opaque(void *p) {
  __asm__("" : "+r"(p));
  return p;
}

/* Are a and b defined by the same object? Unknown (dladdr finds no object,
 * as in some static programs) counts as yes: there is only one then. */
static int same_object(void *a, void *b) {
  Dl_info ia, ib;
  if (dladdr(a, &ia) == 0 || dladdr(b, &ib) == 0)
    return 1;
  return ia.dli_fbase == ib.dli_fbase;
}

/* One function of the allocator: `candidate` when it exists, is not ours,
 * and belongs to the object that defines `owner` (the chosen malloc). */
static void *pick(void *candidate, void *ours, void *owner) {
  if (candidate == NULL || candidate == ours || !same_object(candidate, owner))
    return NULL;
  return candidate;
}

/* Is `owner` glibc's malloc? The address alone does not say: tcmalloc
 * defines __libc_malloc too (its glibc override), which then is what our
 * reference to it binds to. glibc's object also defines
 * gnu_get_libc_version, which no allocator does. */
static int is_glibc_malloc(void *owner) {
  if (owner != (void *)__libc_malloc)
    return 0;
  void *libc_fn = dlsym(RTLD_DEFAULT, "gnu_get_libc_version");
  return libc_fn != NULL && same_object(owner, libc_fn);
}

static void resolve(void) {
  resolving++;
  size_t arena_before = atomic_load(&tm_boot_arena_used);
  void *global_malloc = opaque((void *)malloc);
  int ours = global_malloc == (void *)TM_OURS(malloc);
  /* Another runtime copy's interposer in effect (a tmcc program run with
   * LD_PRELOAD=libtracemalloc.so): it forwards to the next allocator after
   * itself, perhaps us; taking it for the program's allocator would make
   * the two call each other forever. Go down our own chain instead. */
  int chain = ours || tm_rendezvous_is_interposer(global_malloc);
  /* Only ask dlsym(RTLD_NEXT) when it can answer: when ours is not in
   * effect, its error message would be allocated by the other copy's
   * malloc and traced as the program's. Ours in effect: such a block comes
   * from the arena. Nothing after us: glibc's __libc_* below. */
  int next =
      ours || (chain && tm_rendezvous_defined_after((void *)resolve, "malloc"));
  void *owner;
#define CANDIDATE(NAME)                                                        \
  (chain ? (next ? dlsym(RTLD_NEXT, #NAME) : NULL) : opaque((void *)NAME))
  if (chain) {
    owner = next ? dlsym(RTLD_NEXT, "malloc") : NULL;
    if (owner == NULL)
      owner = (void *)__libc_malloc; /* glibc, seen from a static program */
  } else {
    owner = global_malloc;
  }
#define PICK(NAME) pick(CANDIDATE(NAME), (void *)TM_OURS(NAME), owner)
  void *fn_calloc = PICK(calloc);
  void *fn_realloc = PICK(realloc);
  void *fn_free = PICK(free);
  have.malloc = (void *(*)(size_t))owner;
  have.malloc_usable_size = (size_t (*)(void *))PICK(malloc_usable_size);
  have.memalign = (void *(*)(size_t, size_t))PICK(memalign);
  have.aligned_alloc = (void *(*)(size_t, size_t))PICK(aligned_alloc);
  have.posix_memalign = (int (*)(void **, size_t, size_t))PICK(posix_memalign);
  void *fn_valloc = PICK(valloc);
  void *fn_pvalloc = PICK(pvalloc);
#undef PICK
#undef CANDIDATE
  if (chain && owner == (void *)__libc_malloc) {
    /* No dlsym answer: glibc's __libc_* family, complete. */
    fn_calloc = (void *)__libc_calloc;
    fn_realloc = (void *)__libc_realloc;
    fn_free = (void *)__libc_free;
    have.memalign = __libc_memalign;
    fn_valloc = (void *)__libc_valloc;
    fn_pvalloc = (void *)__libc_pvalloc;
  }
  have.free = fn_free ? (void (*)(void *))fn_free : derived_free;
  have.realloc =
      fn_realloc ? (void *(*)(void *, size_t))fn_realloc : derived_realloc;

  STORE(malloc, have.malloc);
  STORE(calloc,
        fn_calloc ? (void *(*)(size_t, size_t))fn_calloc : derived_calloc);
  STORE(memalign, have.memalign ? have.memalign : derived_memalign);
  STORE(aligned_alloc,
        have.aligned_alloc ? have.aligned_alloc : derived_aligned_alloc);
  STORE(posix_memalign,
        have.posix_memalign ? have.posix_memalign : derived_posix_memalign);
  STORE(valloc, fn_valloc ? (void *(*)(size_t))fn_valloc : derived_valloc);
  STORE(pvalloc, fn_pvalloc ? (void *(*)(size_t))fn_pvalloc : derived_pvalloc);
  if (atomic_load(&tm_boot_arena_used) != arena_before || arena_before != 0) {
    STORE(free, arena_aware_free);
    STORE(realloc, arena_aware_realloc);
    STORE(malloc_usable_size, arena_aware_malloc_usable_size);
  } else {
    STORE(free, have.free);
    STORE(realloc, have.realloc);
    STORE(malloc_usable_size, have.malloc_usable_size
                                  ? have.malloc_usable_size
                                  : derived_malloc_usable_size);
  }
  atomic_store_explicit(&tm_real_is_glibc,
                        ours && is_glibc_malloc((void *)have.malloc),
                        memory_order_relaxed);
  atomic_store_explicit(&tm_real_ours_in_effect, ours, memory_order_relaxed);
  resolving--;
  // Trailer mode is known now: glibc's fastbin limit follows it (tm_start
  // may have run before this resolution).
  tm_fastbins_sync();
}

void tm_real_resolve(void) {
  if (LOAD(malloc) == boot_malloc)
    resolve();
}

/* ---- The bootstrap entry points
 * ------------------------------------------------- */

/* A call that arrives while this thread resolves (dlsym's own allocation)
 * is served from the arena; any other resolves first, then forwards. */
static void *boot_malloc(size_t size) {
  if (resolving)
    return tm_boot_arena_alloc(16, size);
  resolve();
  return LOAD(malloc)(size);
}

static void *boot_calloc(size_t nmemb, size_t size) {
  if (resolving) {
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total))
      return NULL;
    return tm_boot_arena_alloc(16, total); /* static storage: already zero */
  }
  resolve();
  return LOAD(calloc)(nmemb, size);
}

static void *boot_realloc(void *ptr, size_t size) {
  if (resolving) {
    void *p = tm_boot_arena_alloc(16, size);
    if (p != NULL && ptr != NULL && tm_boot_arena_contains(ptr)) {
      size_t old = tm_boot_arena_size(ptr);
      memcpy(p, ptr, old < size ? old : size);
    }
    return p;
  }
  resolve();
  return LOAD(realloc)(ptr, size);
}

static void boot_free(void *ptr) {
  /* An arena block is never freed; a free while this thread resolves can
   * only be of a block dlsym's allocation made earlier, on the arena too,
   * or of one we cannot place yet: leaked rather than sent anywhere. */
  if (ptr == NULL || tm_boot_arena_contains(ptr) || resolving)
    return;
  resolve();
  LOAD(free)(ptr);
}

static void *boot_memalign(size_t alignment, size_t size) {
  if (resolving)
    return tm_boot_arena_alloc(alignment, size);
  resolve();
  return LOAD(memalign)(alignment, size);
}

static void *boot_aligned_alloc(size_t alignment, size_t size) {
  if (resolving)
    return tm_boot_arena_alloc(alignment, size);
  resolve();
  return LOAD(aligned_alloc)(alignment, size);
}

static int boot_posix_memalign(void **memptr, size_t alignment, size_t size) {
  if (resolving) {
    void *p = tm_boot_arena_alloc(alignment, size);
    if (p == NULL)
      return ENOMEM;
    *memptr = p;
    return 0;
  }
  resolve();
  return LOAD(posix_memalign)(memptr, alignment, size);
}

static void *boot_valloc(size_t size) {
  if (resolving)
    return tm_boot_arena_alloc(4096, size);
  resolve();
  return LOAD(valloc)(size);
}

static void *boot_pvalloc(size_t size) {
  if (resolving)
    return tm_boot_arena_alloc(4096, (size + 4095) & ~(size_t)4095);
  resolve();
  return LOAD(pvalloc)(size);
}

static size_t boot_malloc_usable_size(void *ptr) {
  if (ptr != NULL && tm_boot_arena_contains(ptr))
    return tm_boot_arena_size(ptr);
  if (resolving)
    return 0;
  resolve();
  return LOAD(malloc_usable_size)(ptr);
}

/* Resolve before main as well (if no allocation did it earlier), so that
 * dlsym runs from a constructor rather than from inside the first malloc of
 * a library's constructor. */
__attribute__((constructor(101))) static void resolve_at_startup(void) {
  tm_real_resolve();
}

#endif /* !TM_SANITIZER_MODE */
