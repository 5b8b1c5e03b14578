/* test_core_shadow.c - the per-thread shadow stack: the main thread has one
 * from the constructor; another thread gets one (8 MiB of address space,
 * counted in tm_get_tracemalloc_memory by its resident pages only: an idle
 * thread costs a few pages, each page it touches counts exactly once) and
 * gives it back at exit; a thread without one gets it lazily on its first
 * traced allocation; its deepest slot is writable. */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "internal.h"
#include "raw_alloc.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static size_t usage_in_thread, usage_idle, usage_deep;
static uintptr_t cap_after_track;
static int track_rc;

static const struct tm_site s_t = {"t.c", "t", NULL, 5, 0, 0, 0};

static void *thread_main(void *arg) {
  (void)arg;
  if (__tm_frames_cap == 0) { // no wrapper gave us one: the lazy path
    track_rc = tm_track(4, 0x40, 1);
    cap_after_track = __tm_frames_cap;
  } else {
    track_rc = 0;
    cap_after_track = __tm_frames_cap;
  }
  tm_shadow_thread_init(); // idempotent
  usage_idle = tm_get_tracemalloc_memory();
  __tm_frames[TM_SHADOW_SLOTS - 1] = &s_t; // touches exactly one new page
  usage_deep = tm_get_tracemalloc_memory();
  __tm_frames[1] = &s_t;
  __tm_depth = 1;
  tm_track(4, 0x80, 2); // attributed to t.c:5
  __tm_depth = 0;
  usage_in_thread = tm_get_tracemalloc_memory();
  return NULL;
}

int main(void) {
  CHECK(__tm_frames_cap == TM_SHADOW_SLOTS);
  CHECK(__tm_frames != NULL);
  CHECK_EQ_INT(tm_start(1), TM_OK);
  size_t before = tm_get_tracemalloc_memory();
  pthread_t th;
  pthread_create(&th, NULL, thread_main, NULL);
  pthread_join(th, NULL);
  CHECK_EQ_INT(track_rc, 0);
  CHECK(cap_after_track == TM_SHADOW_SLOTS);
  size_t ps = (size_t)sysconf(_SC_PAGESIZE);
  CHECK_EQ_INT(usage_deep, usage_idle + ps);
  // Idle, the thread's 8 MiB mapping costs a few pages, not 8 MiB (the
  // lazy path's tm_track may have added some table memory too).
  CHECK(usage_idle < before + TM_SHADOW_SLOTS * sizeof(void *) / 8);
  CHECK(usage_in_thread >= usage_deep + ps); // slot 1's page
  CHECK_EQ_INT(tm_get_tracemalloc_memory(),
               tm_raw_usage(TM_MEM_TABLES) + tm_shadow_memory());
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_traceback(4, 0x80, &tb), TM_OK);
  CHECK(tb && tm_traceback_frames(tb)[0].lineno == 5);
  tm_traceback_free(tb);
  // The exited thread's mapping is unmapped and no longer counted: its
  // header page, the deepest slot's page and slot 1's page (the traces of
  // the thread stay; they were counted in `usage_in_thread` too).
  CHECK(tm_get_tracemalloc_memory() + 3 * ps <= usage_in_thread);
  tm_stop();
  return CHECK_DONE();
}
