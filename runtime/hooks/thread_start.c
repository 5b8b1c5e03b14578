/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* thread_start.c - a pthread_create wrapper that sets up every new
 * thread's runtime state (shadow_stack.h: its header, the capture's arrays,
 * its stack bounds) before the user's start routine runs, and notes the
 * thread's descriptor for the leak scan (leak_thread_descriptors.c).
 *
 * The pass's frame records need nothing from the runtime, but without the
 * thread's state its first allocation would set it up lazily, inside the
 * hook. Creating it at thread start makes the first allocation of a thread
 * as cheap as any other.
 *
 * The wrapper passes {start, arg} to a trampoline in a small block from the
 * real allocator (never traced), which the trampoline frees before calling
 * the user's routine, so nothing is left behind if the thread exits through
 * pthread_exit or cancellation.
 *
 * The next pthread_create: under a sanitizer, its interceptor (compiler-rt
 * defines pthread_create weak and __interceptor_pthread_create as the way to
 * chain to it; bypassing it would hide the thread from TSan/ASan);
 * otherwise dlsym(RTLD_NEXT), i.e. libc's (in a -static program, static
 * glibc's __pthread_create_2_1). If that lookup or the start block
 * fails, the thread is created unwrapped and the core's lazy setup covers
 * it: pthread_create never fails because of us.
 */
#include "hooks.h"
#include "leak_thread_descriptors.h"

#include <dlfcn.h>
#include <pthread.h>

typedef int (*tm_pthread_create_fn)(pthread_t *, const pthread_attr_t *,
                                    void *(*)(void *), void *);

/* Weak: present only when a sanitizer runtime is linked in. */
extern int __interceptor_pthread_create(pthread_t *, const pthread_attr_t *,
                                        void *(*)(void *), void *)
    __attribute__((weak));

/* Weak: static glibc's implementation (libc.a's pthread_create.o), the
 * next pthread_create of a -static program, where dlsym(RTLD_NEXT) has no
 * answer; tmcc -static links it in (-u). libc.so does not export it. */
extern int __pthread_create_2_1(pthread_t *, const pthread_attr_t *,
                                void *(*)(void *), void *)
    __attribute__((weak));

/* Static-link anchor: see anchors.c. */
const char tm_thread_start_linked = 1;

struct tm_thread_start {
  void *(*start)(void *);
  void *arg;
};

static _Atomic(tm_pthread_create_fn) next_create;

static tm_pthread_create_fn resolve_next(void) {
  tm_pthread_create_fn fn =
      atomic_load_explicit(&next_create, memory_order_acquire);
  if (TM_LIKELY(fn != NULL))
    return fn;
  if (__interceptor_pthread_create != NULL)
    fn = __interceptor_pthread_create;
  else
    fn = (tm_pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
  if (fn == NULL)
    fn = __pthread_create_2_1; /* a -static program, or NULL */
  if (fn != NULL)
    atomic_store_explicit(&next_create, fn, memory_order_release);
  return fn;
}

static void *thread_trampoline(void *p) {
  struct tm_thread_start s = *(struct tm_thread_start *)p;
  tm_hooks_untraced_free(p);
  tm_shadow_thread_init();
  return s.start(s.arg);
}

TM_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                             void *(*start)(void *), void *arg) {
  tm_pthread_create_fn next = resolve_next();
  if (TM_UNLIKELY(next == NULL))
    return EAGAIN; /* no libc pthread_create: cannot happen with glibc */
  struct tm_thread_start *s = tm_hooks_untraced_malloc(sizeof *s);
  int rc;
  if (s == NULL) {
    rc = next(thread, attr, start, arg);
  } else {
    s->start = start;
    s->arg = arg;
    rc = next(thread, attr, thread_trampoline, s);
    if (rc != 0)
      tm_hooks_untraced_free(s);
  }
  if (rc == 0) {
    tm_dump_triggers_thread_created(); // the process is multithreaded now
    // Its TLS vector outlives it in glibc's stack cache: not a leak.
    tm_thread_descriptor_note((uintptr_t)*thread);
  }
  return rc;
}
