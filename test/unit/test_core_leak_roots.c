/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_leak_roots.c - the leak scan's thread roots (leak_roots.h):
 * a stack ends where its mapping ends, or at the thread descriptor's end
 * when the descriptor lies in the same mapping; static TLS and the
 * descriptor stay inside their mapping and never run on into the next one
 * the kernel merged with it (the runtime's own tables, which would hide
 * every leak); an ended thread's cached descriptor gives one root, the
 * word that points to its TLS vector (leak_thread_descriptors.h). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "leak_roots.h"
#include "leak_thread_descriptors.h"

static const tm_tls_layout_t layout = {0x1000, 0x940, SIZE_MAX};

typedef struct got {
  tm_range_t r[4];
  size_t n;
} got_t;

static got_t thread_roots(const char *maps, uintptr_t sp, uintptr_t tp) {
  got_t g = {0};
  tm_roots_t rs = {g.r, 0, 4, 0};
  tm_roots_add_thread(&rs, maps, sp, tp, &layout);
  g.n = rs.n;
  return g;
}

#define CHECK_RANGE(range, b, e)                                               \
  do {                                                                         \
    CHECK_EQ_INT((long long)(range).beg, (long long)(b));                      \
    CHECK_EQ_INT((long long)(range).end, (long long)(e));                      \
  } while (0)

/* The main thread: its stack is [stack]; ld.so put its descriptor in an
 * anonymous page that the kernel merged with a mapping of the runtime's
 * just above it. */
static void test_main_thread(void) {
  const char *maps =
      "7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n"
      "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]\n";
  got_t g = thread_roots(maps, 0x7ffd00020000, 0x7f0000001240);
  CHECK_EQ_INT((long long)g.n, 2);
  CHECK_RANGE(g.r[0], 0x7ffd00020000 - 128, 0x7ffd00021000);
  CHECK_RANGE(g.r[1], 0x7f0000000240, 0x7f0000001240 + 0x940);
}

/* A pthread: stack, TLS and descriptor in one mapping, which the kernel
 * merged with the next one. */
static void test_pthread_merged(void) {
  const char *maps = "7f1000000000-7f1000001000 ---p 00000000 00:00 0 \n"
                     "7f1000001000-7f1000900000 rw-p 00000000 00:00 0 \n";
  got_t g = thread_roots(maps, 0x7f1000700000, 0x7f10007ff6c0);
  CHECK_EQ_INT((long long)g.n, 2);
  CHECK_RANGE(g.r[0], 0x7f1000700000 - 128, 0x7f10007ff6c0 + 0x940);
  CHECK_RANGE(g.r[1], 0x7f10007fe6c0, 0x7f10007ff6c0 + 0x940);
}

/* A stack the program supplied (the descriptor is elsewhere): the whole
 * mapping from sp; TLS clipped at the start of its mapping. */
static void test_own_stack(void) {
  const char *maps = "600000000000-600000100000 rw-p 00000000 00:00 0 \n"
                     "7f2000000000-7f2000003000 rw-p 00000000 00:00 0 \n";
  got_t g = thread_roots(maps, 0x600000080000, 0x7f2000000800);
  CHECK_EQ_INT((long long)g.n, 2);
  CHECK_RANGE(g.r[0], 0x600000080000 - 128, 0x600000100000);
  CHECK_RANGE(g.r[1], 0x7f2000000000, 0x7f2000000800 + 0x940);
}

/* No thread pointer (unknown): the stack to its mapping's end. A stack
 * pointer in no mapping, or in an unreadable one: nothing. */
static void test_unknown(void) {
  const char *maps = "7f3000000000-7f3000010000 rw-p 00000000 00:00 0 \n"
                     "7f4000000000-7f4000010000 ---p 00000000 00:00 0 \n";
  got_t g = thread_roots(maps, 0x7f3000008000, 0);
  CHECK_EQ_INT((long long)g.n, 1);
  CHECK_RANGE(g.r[0], 0x7f3000008000 - 128, 0x7f3000010000);
  CHECK_EQ_INT((long long)thread_roots(maps, 0x100, 0).n, 0);
  CHECK_EQ_INT((long long)thread_roots(maps, 0x7f4000008000, 0).n, 0);
  CHECK_EQ_INT((long long)thread_roots("", 0x7f3000008000, 0).n, 0);
}

static __thread int tls_probe;
static char maps[1 << 20];

/* This thread's roots from the real /proc/self/maps: the ranges that hold
 * tls_probe end at the descriptor's end; a pthread has two (its stack
 * mapping holds its TLS too), the main thread one. */
static int roots_hold_tls(const tm_tls_layout_t *l, bool pthread) {
  if (tm_roots_maps_size() >= sizeof maps / 2 ||
      tm_roots_read_maps(maps, sizeof maps) == 0)
    return 0;
  uintptr_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  tm_range_t r[4];
  tm_roots_t rs = {r, 0, 4, 0};
  tm_roots_add_thread(&rs, maps, (uintptr_t)__builtin_frame_address(0), tp, l);
  uintptr_t probe = (uintptr_t)&tls_probe;
  int held = 0;
  for (size_t i = 0; i < rs.n; i++) {
    if (probe >= r[i].beg && probe < r[i].end &&
        r[i].end == tp + l->descriptor_size)
      held++;
  }
  return rs.n == 2 && held == (pthread ? 2 : 1);
}

static void *in_thread(void *arg) {
  return roots_hold_tls(arg, true) ? arg : NULL;
}

/* This process: libc gives the descriptor's size, and the ranges computed
 * from the real /proc/self/maps hold a thread's TLS variable. */
static void test_this_process(void) {
  tm_tls_layout_t l = tm_roots_tls_layout();
  CHECK(l.descriptor_size > 0 && l.descriptor_size <= 4096);
  CHECK(l.tls_size > 0);
  CHECK(roots_hold_tls(&l, false));
  pthread_t t;
  void *ok = NULL;
  CHECK_EQ_INT(pthread_create(&t, NULL, in_thread, &l), 0);
  CHECK_EQ_INT(pthread_join(t, &ok), 0);
  CHECK(ok == &l);
}

static void *ends(void *arg) { return arg; }

/* A joined thread: glibc keeps its descriptor in the stack cache; once
 * noted (twice: the set keeps one), the roots hold exactly the descriptor's
 * word that points to its TLS vector, and a descriptor in no mapping gives
 * nothing. */
static void test_ended_thread(void) {
  tm_tls_layout_t l = tm_roots_tls_layout();
  CHECK(l.dtv_offset != SIZE_MAX);
  CHECK(l.dtv_offset < l.descriptor_size);
  pthread_t t;
  CHECK_EQ_INT(pthread_create(&t, NULL, ends, NULL), 0);
  CHECK_EQ_INT(pthread_join(t, NULL), 0);
  uintptr_t d = (uintptr_t)t;
  tm_thread_descriptor_note(d);
  tm_thread_descriptor_note(d);
  tm_thread_descriptor_note(0x1000); // nothing is mapped at 4 KiB
  CHECK(tm_roots_maps_size() < sizeof maps / 2);
  CHECK(tm_roots_read_maps(maps, sizeof maps) > 0);
  tm_range_t r[8];
  tm_roots_t rs = {r, 0, 8, 0};
  tm_roots_add_thread_descriptors(&rs, maps, &l);
  CHECK_EQ_INT((long long)rs.n, 1);
  CHECK_RANGE(r[0], d + l.dtv_offset, d + l.dtv_offset + sizeof(void *));
  // The word is glibc's pointer to the vector, a heap block.
  void *vector = *(void *const *)r[0].beg;
  CHECK(vector != NULL);
  // Without the offset nothing is read.
  l.dtv_offset = SIZE_MAX;
  rs.n = 0;
  tm_roots_add_thread_descriptors(&rs, maps, &l);
  CHECK_EQ_INT((long long)rs.n, 0);
}

int main(void) {
  test_main_thread();
  test_pthread_merged();
  test_own_stack();
  test_unknown();
  test_this_process();
  test_ended_thread();
  return CHECK_DONE();
}
