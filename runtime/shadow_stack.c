/* shadow_stack.c - the per-thread shadow stack of tracemalloc_abi.h.
 *
 * Design. Instrumented code reads and writes four initial-exec TLS words
 * directly (no call). The runtime gives each thread one frame array of
 * TM_SHADOW_SLOTS pointers, mapped with MAP_NORESERVE so that only the pages
 * a deep stack really touches cost memory; until then __tm_frames_cap is 0
 * and instrumented code stores into __tm_sink, never out of bounds. The
 * array is set up at thread start (the pthread_create wrapper), for the main
 * thread by the runtime constructor, and lazily by the core on a thread's
 * first traced allocation; it is unmapped by a pthread key destructor at
 * thread exit, after which the thread keeps using __tm_sink.
 *
 * Reentrancy. pthread_setspecific may calloc its second-level array; the
 * call is bracketed by tm_reentrant so that allocation is not traced and
 * cannot come back here. The per-thread state also stops a destructor-time
 * allocation from mapping a new array after the old one was freed.
 */
#include <errno.h>
#include <pthread.h>

#include "internal.h"
#include "raw_alloc.h"
#include "shadow_stack.h"

#define TM_TLS_IE __attribute__((tls_model("initial-exec")))

TM_API __thread uintptr_t __tm_depth TM_TLS_IE;
TM_API __thread const struct tm_site **__tm_frames TM_TLS_IE;
TM_API __thread uintptr_t __tm_frames_cap TM_TLS_IE;
TM_API __thread const struct tm_site *__tm_sink TM_TLS_IE;

__thread int tm_reentrant TM_TLS_IE;

enum { THREAD_NONE, THREAD_LIVE, THREAD_EXITED };
static __thread int thread_state TM_TLS_IE;

static pthread_key_t shadow_key;
static pthread_once_t shadow_once = PTHREAD_ONCE_INIT;

#define SHADOW_BYTES ((size_t)TM_SHADOW_SLOTS * sizeof(const struct tm_site *))

static void shadow_destroy(void *mem) {
  __tm_frames_cap = 0; // from now on instrumented code writes to the sink
  __tm_frames = NULL;
  thread_state = THREAD_EXITED;
  tm_raw_unmap(mem, SHADOW_BYTES, TM_MEM_TABLES);
}

static void make_key(void) {
  if (pthread_key_create(&shadow_key, shadow_destroy) != 0)
    shadow_key = (pthread_key_t)-1;
}

static __attribute__((noinline)) void shadow_init_slow(void) {
  int saved_errno = errno;
  thread_state = THREAD_LIVE; // no recursion from here on
  pthread_once(&shadow_once, make_key);
  void *mem = tm_raw_map_noreserve(SHADOW_BYTES, TM_MEM_TABLES);
  if (!mem) {
    thread_state = THREAD_NONE; // try again on a later allocation
    errno = saved_errno;
    return;
  }
  if (shadow_key != (pthread_key_t)-1) {
    tm_reentrant++;
    pthread_setspecific(shadow_key, mem);
    tm_reentrant--;
  }
  __tm_frames = mem;
  __tm_frames_cap = TM_SHADOW_SLOTS;
  errno = saved_errno;
}

void tm_shadow_thread_init(void) {
  if (TM_LIKELY(__tm_frames_cap != 0) || thread_state != THREAD_NONE)
    return;
  shadow_init_slow();
}
