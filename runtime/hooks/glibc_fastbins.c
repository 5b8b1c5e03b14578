/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* glibc_fastbins.c - glibc's fastbin limit (M_MXFAST) kept in the program's
 * units while trailer blocks are made.
 *
 * Why. A trailer block of n bytes is a glibc request of n + 8
 * (trace_table.h, "Trailer mode"), one glibc size class larger than n's
 * whenever n's slack holds less than 8 bytes. glibc serves chunks up to
 * its fastbin limit (128 bytes by default: requests of at most 120) from
 * per-size lists that a free pushes onto with one compare-and-swap, even a
 * free from a thread that does not own the chunk's arena; larger chunks go
 * through the arena's bins under the arena's lock, and are coalesced with
 * their neighbours. With the trailer, blocks of 113 to 120 bytes cross the
 * limit (105 to 120 with the 16-byte header of before): a program that
 * frees them on another thread than the one that made them would take the
 * arena lock of the allocating thread on every such free.
 * bench/workloads/stress_threads (16-127 bytes, every free cross-thread, 2
 * threads each on a CPU of its own) ran 1.42x slower with 16 bytes more
 * per block alone, no tracing at all, and 0.98x once the limit moved up by
 * 16 too (docs/performance.md, "The 2-thread stress: the header's size
 * class").
 *
 * What. While this runtime traces in trailer mode, the limit glibc holds
 * is the program's limit + 8, so that a block of n bytes is a fastbin
 * chunk whenever it would be without us. Chunks are multiples of 16, so
 * this also makes blocks of 121 to 128 bytes (at the default) fastbin
 * chunks, which they are not without us: the limit glibc can hold admits
 * the program's chunks and one class more, never fewer. At every other
 * time it is the program's own. The program's limit is glibc's default, or
 * GLIBC_TUNABLES' glibc.malloc.mxfast, or what the program last passed to
 * mallopt(M_MXFAST, ...), which the interposer sends here (interpose.c).
 * Kept up to 152 (glibc's maximum is 160, and a program's limit above 152
 * gets 160). A limit of 0 (no fastbins) stays 0.
 *
 * When. tm_start and tm_stop call tm_fastbins_sync after they switch tracing
 * (through tm_core_tracing_switched, set by tm_fastbins_install before any
 * tm_start), and so does the resolution of the real allocator, which
 * decides whether it is glibc (real_alloc.c): each change is followed by a
 * sync that reads the state after it, and syncs run one at a time under a
 * lock, so the last one leaves glibc with the limit of the final state.
 * The lock is a leaf (only __libc_mallopt is called under it); fork waits
 * for it and the child resets it (its own fork handlers).
 *
 * Not changed: glibc's tcache limit (blocks of 1025-1032 bytes leave the
 * tcache with the trailer; glibc sets that limit only from GLIBC_TUNABLES,
 * before main) and its mmap threshold (setting it with mallopt would stop
 * glibc from adjusting it as it does by default).
 */
#include "hooks.h"
#include "spinlock.h"

#if !TM_SANITIZER_MODE && defined(__GLIBC__) && defined(M_MXFAST)

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* glibc's mallopt itself (exported by libc.so.6 and libc.a's malloc.o, not
 * declared in any header): `mallopt` may be ours (interpose.c). */
extern int __libc_mallopt(int param, int value);

/* glibc's DEFAULT_MXFAST and MAX_FAST_SIZE (malloc.c). */
#define MXFAST_DEFAULT ((int)(64 * sizeof(size_t) / 4))
#define MXFAST_MAX ((int)(80 * sizeof(size_t) / 4))

static tm_spinlock_t lock = TM_SPINLOCK_INIT;
/* The program's limit, and the one glibc holds now; both -1 until the
 * first use reads GLIBC_TUNABLES (glibc then holds the program's). */
static int program_limit = -1;
static int glibc_limit = -1;

/* GLIBC_TUNABLES' glibc.malloc.mxfast, as glibc reads it (a number in C
 * syntax, in range, the last one given), else glibc's default. Read with
 * secure_getenv: glibc ignores these tunables in a setuid program. */
static int limit_from_tunables(void) {
  const char *s = secure_getenv("GLIBC_TUNABLES");
  int limit = MXFAST_DEFAULT;
  static const char name[] = "glibc.malloc.mxfast=";
  for (; s != NULL && *s; s = strchr(s, ':'), s = s ? s + 1 : NULL) {
    if (strncmp(s, name, sizeof name - 1) != 0)
      continue;
    char *end;
    unsigned long long v = strtoull(s + sizeof name - 1, &end, 0);
    if (end != s + sizeof name - 1 && (*end == '\0' || *end == ':') &&
        v <= (unsigned long long)MXFAST_MAX)
      limit = (int)v;
  }
  return limit;
}

/* The limit glibc should hold now. Call with `lock` held. */
static int wanted_limit(void) {
  if (program_limit < 0)
    program_limit = glibc_limit = limit_from_tunables();
  bool trailers = tm_hooks_tracing() && tm_hooks_trailer_mode();
  if (!trailers || program_limit == 0)
    return program_limit;
  int limit = program_limit + TM_TRL_SIZE;
  return limit < MXFAST_MAX ? limit : MXFAST_MAX;
}

void tm_fastbins_sync(void) {
  tm_spin_lock(&lock);
  int want = wanted_limit();
  if (want != glibc_limit) {
    __libc_mallopt(M_MXFAST, want);
    glibc_limit = want;
  }
  tm_spin_unlock(&lock);
}

int tm_fastbins_mallopt(int param, int value) {
  // Another parameter, or a limit glibc refuses (0, no change): glibc's.
  if (param != M_MXFAST || value < 0 || value > MXFAST_MAX)
    return __libc_mallopt(param, value);
  tm_spin_lock(&lock);
  program_limit = value;
  int want = wanted_limit();
  int rc = __libc_mallopt(M_MXFAST, want); /* as the program's call would */
  glibc_limit = want;
  tm_spin_unlock(&lock);
  return rc;
}

static void atfork_prepare(void) { tm_spin_lock(&lock); }
static void atfork_parent(void) { tm_spin_unlock(&lock); }
static void atfork_child(void) { tm_spin_reset(&lock); }

void tm_fastbins_install(void) {
  // glibc runs the prepare handlers in the reverse order of registration:
  // this one (registered before init.c's) after the runtime's own, which
  // never wait for this lock, and the child's first.
  pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
  atomic_store_explicit(&tm_core_tracing_switched, tm_fastbins_sync,
                        memory_order_release);
}

#else /* a sanitizer's allocator, or not glibc's: nothing to keep */

void tm_fastbins_install(void) {}
void tm_fastbins_sync(void) {}

#endif
