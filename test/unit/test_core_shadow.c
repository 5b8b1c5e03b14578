/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_shadow.c - the per-thread runtime state of the shadow stack:
 * the main thread has it from the constructor; a thread started by the
 * pthread_create wrapper has it before its start routine runs (its mapping,
 * 2.25 MiB of address space for the gather arrays, counted in
 * tm_get_tracemalloc_memory by its resident pages only: an idle thread
 * costs a few pages, each page it touches counts exactly once; its last
 * page is writable) and gives it back at exit, so that instrumented code in
 * a later key destructor still runs (its records cost the runtime nothing
 * and read as unknown frames); a thread started without the wrapper has no
 * state until its first traced allocation sets it up lazily, and the
 * records its frames pushed before that are read. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "raw_alloc.h"
#include "shadow_chain.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static size_t usage_in_thread, usage_idle, usage_deep, map_bytes;
static size_t usage_exited, usage_exited_frame;
static int own_at_start, own_after_init, dtor_ran;
static pthread_key_t late_key;

static const struct tm_site s_t = {"t.c", "t", NULL, 5, 0, 0, 0};
static const struct tm_site s_u = {"u.c", "u", NULL, 7, 0, 0, 0};

/* One instrumented frame with its record naming `site` (tracemalloc_abi.h
 * section 2), around `expr`. */
#define CALL_FROM(site, expr)                                                  \
  do {                                                                         \
    struct tm_frame_record r_ = {__tm_shadow_top, (site)};                     \
    __atomic_store_n(&__tm_shadow_top, &r_, __ATOMIC_RELEASE);                 \
    __asm__ volatile("" ::: "memory");                                         \
    expr;                                                                      \
    __asm__ volatile("" ::: "memory");                                         \
    __tm_shadow_top = r_.prev;                                                 \
  } while (0)

/* Runs at thread exit after the runtime's own key destructor (this key was
 * created later, and glibc runs destructors in key order): the thread's
 * state is gone, instrumented code still pushes its records. */
static void late_destructor(void *arg) {
  (void)arg;
  dtor_ran = 1;
  CHECK(tm_thread_self == NULL);
  usage_exited = tm_get_tracemalloc_memory();
  // A frame's record costs the runtime nothing; it is counted, not read
  // (an unknown frame).
  CALL_FROM(&s_t, usage_exited_frame = tm_get_tracemalloc_memory();
            CHECK_EQ_INT(tm_track(4, 0xc0, 3), 0));
  CHECK(tm_thread_self == NULL); // no new state after teardown
}

static void *thread_main(void *arg) {
  (void)arg;
  tm_thread_t *self = tm_thread_self;
  own_at_start = self != NULL;
  tm_shadow_thread_init(); // idempotent
  own_after_init = tm_thread_self == self;
  usage_idle = tm_get_tracemalloc_memory();
  if (self) {
    map_bytes = self->map_bytes;
    self->gather_cum[TM_GATHER_SLOTS - 1] = 0; // the last page: a new one
  }
  usage_deep = tm_get_tracemalloc_memory();
  CALL_FROM(&s_t, tm_track(4, 0x80, 2)); // attributed to t.c:5
  usage_in_thread = tm_get_tracemalloc_memory();
  pthread_setspecific(late_key, &late_key);
  return NULL;
}

/* ---- A thread started without the wrapper ----------------------------- */

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                         void *);
/* Weak: present only when a sanitizer runtime is linked in (as in
 * thread_start.c: the sanitizer must still see the thread). */
extern int __interceptor_pthread_create(pthread_t *, const pthread_attr_t *,
                                        void *(*)(void *), void *)
    __attribute__((weak));

static int lazy_unset_at_start, lazy_own_after_track, lazy_rc;
static pthread_barrier_t tracing_again;

static void *thread_lazy(void *arg) {
  (void)arg;
  lazy_unset_at_start = __tm_shadow_top == NULL && tm_thread_self == NULL;
  pthread_barrier_wait(&tracing_again); // started
  pthread_barrier_wait(&tracing_again); // main is tracing again
  // Its record was pushed before the lazy setup: records need nothing of
  // the runtime, so the capture reads it.
  CALL_FROM(&s_u, lazy_rc = tm_track(4, 0x100, 4));
  lazy_own_after_track = tm_thread_self != NULL;
  CALL_FROM(&s_u, tm_track(4, 0x140, 5)); // a frame pushed after it
  return NULL;
}

static int create_unwrapped(pthread_t *th, void *(*fn)(void *)) {
  create_fn next = __interceptor_pthread_create
                       ? __interceptor_pthread_create
                       : (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  CHECK(next != NULL && next != pthread_create);
  return next ? next(th, NULL, fn, NULL) : -1;
}

/* The first frame of the trace at (domain, ptr), or lineno -1. */
static long first_line(unsigned domain, uintptr_t ptr, const char *file) {
  tm_traceback_t *tb = NULL;
  long line = -1;
  if (tm_get_traceback(domain, ptr, &tb) == TM_OK && tb &&
      tm_traceback_length(tb) >= 1) {
    CHECK_EQ_STR(tm_traceback_frames(tb)[0].filename, file);
    line = tm_traceback_frames(tb)[0].lineno;
  }
  tm_traceback_free(tb);
  return line;
}

int main(void) {
  CHECK(tm_thread_self != NULL);
  tmt_register_site(&s_t);
  tmt_register_site(&s_u);
  CHECK_EQ_INT(pthread_key_create(&late_key, late_destructor), 0);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t before = tm_get_tracemalloc_memory();
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  CHECK(own_at_start); // the wrapper set it up
  CHECK(own_after_init);
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  CHECK_EQ_INT(usage_deep, usage_idle + ps);
  // Idle, the thread's 2.25 MiB mapping costs a few pages.
  CHECK(map_bytes > 2 * ((size_t)1 << 20));
  CHECK(usage_idle < before + map_bytes / 8);
  CHECK(usage_in_thread >= usage_deep + ps); // the capture's gather pages
  CHECK_EQ_INT(first_line(4, 0x80, "t.c"), 5);
  // At exit the mapping was unmapped and no longer counted: its header
  // page, the last page and the capture's gather pages.
  CHECK(dtor_ran);
  CHECK(usage_exited + 3 * ps <= usage_in_thread);
  CHECK_EQ_INT(usage_exited_frame, usage_exited);
  // The record of a thread without state was not read: an unknown frame.
  CHECK_EQ_INT(first_line(4, 0xc0, "<unknown>"), 0);

  // Not tracing until the thread's start routine runs: a sanitizer's own
  // allocations on it before that (seen through its allocator hooks) would
  // set it up lazily first.
  tm_stop();
  pthread_barrier_init(&tracing_again, NULL, 2);
  CHECK_EQ_INT(create_unwrapped(&th, thread_lazy), 0);
  pthread_barrier_wait(&tracing_again);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  pthread_barrier_wait(&tracing_again);
  pthread_join(th, NULL);
  pthread_barrier_destroy(&tracing_again);
  CHECK(lazy_unset_at_start);
  CHECK_EQ_INT(lazy_rc, 0);
  CHECK(lazy_own_after_track);
  CHECK_EQ_INT(first_line(4, 0x100, "u.c"), 7);
  CHECK_EQ_INT(first_line(4, 0x140, "u.c"), 7);

  CHECK_EQ_INT(tm_get_tracemalloc_memory(),
               tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory());
  tm_stop();
  return CHECK_DONE();
}
