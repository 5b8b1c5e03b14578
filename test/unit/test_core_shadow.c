/* test_core_shadow.c - the per-thread shadow stack: the main thread has one
 * from the constructor; another thread gets one (8 MiB of address space,
 * counted in tm_get_tracemalloc_memory) and gives it back at exit; a thread
 * without one gets it lazily on its first traced allocation; its deepest
 * slot is writable. */
#include <pthread.h>
#include <stdint.h>

#include "check.h"
#include "internal.h"
#include "shadow_stack.h"
#include "tracemalloc.h"

static size_t usage_in_thread;
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
  __tm_frames[TM_SHADOW_SLOTS - 1] = &s_t;
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
  CHECK(usage_in_thread >= before + TM_SHADOW_SLOTS * sizeof(void *));
  tm_traceback_t *tb = NULL;
  CHECK_EQ_INT(tm_get_traceback(4, 0x80, &tb), TM_OK);
  CHECK(tb && tm_traceback_frames(tb)[0].lineno == 5);
  tm_traceback_free(tb);
  // The exited thread's array is unmapped and uncharged (the traces of
  // the thread stay; they were counted in `usage_in_thread` too).
  CHECK(tm_get_tracemalloc_memory() + TM_SHADOW_SLOTS * sizeof(void *) <=
        usage_in_thread);
  tm_stop();
  return CHECK_DONE();
}
