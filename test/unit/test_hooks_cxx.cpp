// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// test_hooks_cxx.cpp - the C++ operator hooks (__tm__Znwm ...): C++'s
// semantics (new_handler loop, std::bad_alloc thrown through the C hook,
// nothrow returning NULL, new(0), alignment) and the accounting (size
// requested, the site, every delete variant untracing).
//
// Under a sanitizer the operators are the sanitizer's (it checks new/delete
// pairing and does not call new_handler on failure), so the failure-path
// tests run only in interposition mode.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <new>
#include <stdexcept>
#include <sys/resource.h>

#include "block_index.h"
#include "hooks/hooks_test.h"

static const size_t kHuge = SIZE_MAX / 4;
static const std::nothrow_t *const nt = &std::nothrow;

static void test_new_delete_accounting() {
  HT_SITE(s_new);
  size_t c0 = ht_current();
  void *p = __tm__Znwm(40, &s_new);
  void *a = __tm__Znam(24, &s_new);
  CHECK_EQ_INT(ht_current() - c0, 64);
  HT_CHECK_SITE(p, s_new);
  HT_CHECK_SITE(a, s_new);
  // Over glibc (no sanitizer) an unaligned new is a trailer block, as
  // malloc's are: its trace in the block, not in the side table.
  if (!HT_SANITIZER)
    CHECK(tm_blk_is(p) && tm_blk_is(a));
  __tm__ZdlPv(p, nullptr);
  __tm__ZdaPv(a, nullptr);
  CHECK_EQ_INT(ht_current(), c0);
  CHECK(!ht_traced(p));

  // new(0): a unique pointer each time, traced with the size requested: 0.
  void *z1 = __tm__Znwm(0, &s_new);
  void *z2 = __tm__Znwm(0, &s_new);
  CHECK(z1 != nullptr && z2 != nullptr && z1 != z2);
  CHECK(ht_traced(z1) && ht_traced(z2));
  CHECK_EQ_INT(ht_current(), c0);
  __tm__ZdlPv(z1, nullptr);
  __tm__ZdlPvm(z2, 0, nullptr);
  CHECK(!ht_traced(z1) && !ht_traced(z2));

  // delete of NULL is a no-op.
  __tm__ZdlPv(nullptr, nullptr);
  __tm__ZdaPvSt11align_val_t(nullptr, 64, nullptr);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_aligned_new() {
  HT_SITE(s_al);
  size_t c0 = ht_current();
  const size_t aligns[] = {1, 16, 64, 256, 4096, 1 << 16};
  for (size_t al : aligns) {
    void *p = __tm__ZnwmSt11align_val_t(100, al, &s_al);
    void *q = __tm__ZnamSt11align_val_tRKSt9nothrow_t(3, al, nt, &s_al);
    CHECK(p != nullptr && q != nullptr);
    CHECK_EQ_INT(reinterpret_cast<uintptr_t>(p) % al, 0);
    CHECK_EQ_INT(reinterpret_cast<uintptr_t>(q) % al, 0);
    CHECK_EQ_INT(ht_current() - c0, 103);
    HT_CHECK_SITE(p, s_al);
    __tm__ZdlPvSt11align_val_t(p, al, nullptr);
    __tm__ZdaPvSt11align_val_tRKSt9nothrow_t(q, al, nt, nullptr);
    CHECK_EQ_INT(ht_current(), c0);
  }
}

// Every delete variant untraces, whichever new made the block.
static void test_every_delete() {
  HT_SITE(s);
  const size_t al = 64;
  size_t c0 = ht_current();
  void *b[12];
  b[0] = __tm__Znwm(10, &s);
  b[1] = __tm__Znam(10, &s);
  b[2] = __tm__Znwm(10, &s);
  b[3] = __tm__Znam(10, &s);
  b[4] = __tm__ZnwmRKSt9nothrow_t(10, nt, &s);
  b[5] = __tm__ZnamRKSt9nothrow_t(10, nt, &s);
  b[6] = __tm__ZnwmSt11align_val_t(10, al, &s);
  b[7] = __tm__ZnamSt11align_val_t(10, al, &s);
  b[8] = __tm__ZnwmSt11align_val_tRKSt9nothrow_t(10, al, nt, &s);
  b[9] = __tm__ZnamSt11align_val_tRKSt9nothrow_t(10, al, nt, &s);
  b[10] = __tm__ZnwmSt11align_val_t(10, al, &s);
  b[11] = __tm__ZnamSt11align_val_t(10, al, &s);
  CHECK_EQ_INT(ht_current() - c0, 120);
  for (void *p : b)
    CHECK(ht_traced(p));
  __tm__ZdlPv(b[0], &s);
  __tm__ZdaPv(b[1], &s);
  __tm__ZdlPvm(b[2], 10, &s);
  __tm__ZdaPvm(b[3], 10, &s);
  __tm__ZdlPvRKSt9nothrow_t(b[4], nt, &s);
  __tm__ZdaPvRKSt9nothrow_t(b[5], nt, &s);
  __tm__ZdlPvSt11align_val_t(b[6], al, &s);
  __tm__ZdaPvSt11align_val_t(b[7], al, &s);
  __tm__ZdlPvSt11align_val_tRKSt9nothrow_t(b[8], al, nt, &s);
  __tm__ZdaPvSt11align_val_tRKSt9nothrow_t(b[9], al, nt, &s);
  __tm__ZdlPvmSt11align_val_t(b[10], 10, al, &s);
  __tm__ZdaPvmSt11align_val_t(b[11], 10, al, &s);
  CHECK_EQ_INT(ht_current(), c0);
  for (void *p : b)
    CHECK(!ht_traced(p));
}

// ---- Failure paths (interposition mode: libstdc++'s semantics) ----------

static int handler_calls;
static void handler_gives_up() {
  if (++handler_calls == 3)
    std::set_new_handler(nullptr);
}
struct handler_error : std::runtime_error {
  handler_error() : std::runtime_error("from handler") {}
};
static void handler_throws_own() {
  handler_calls++;
  throw handler_error();
}
static void handler_throws_bad_alloc() {
  handler_calls++;
  throw std::bad_alloc();
}

static void test_new_failure() {
  HT_SITE(s);
  size_t c0 = ht_current();
  bool caught = false;

  // No handler: std::bad_alloc thrown through the C hook.
  std::set_new_handler(nullptr);
  try {
    HT_ESCAPE(__tm__Znwm(kHuge, &s));
  } catch (const std::bad_alloc &) {
    caught = true;
  }
  CHECK(caught);

  // The handler is called until it gives up (3 times), then bad_alloc.
  handler_calls = 0;
  caught = false;
  std::set_new_handler(handler_gives_up);
  try {
    HT_ESCAPE(__tm__Znam(kHuge, &s));
  } catch (const std::bad_alloc &) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ_INT(handler_calls, 3);

  // Whatever the handler throws goes through, and tm_reentrant is intact.
  handler_calls = 0;
  caught = false;
  std::set_new_handler(handler_throws_own);
  try {
    HT_ESCAPE(__tm__ZnwmSt11align_val_t(kHuge, 64, &s));
  } catch (const handler_error &) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ_INT(handler_calls, 1);
  CHECK_EQ_INT(tm_reentrant, 0);

  // An alignment that is not a power of two: bad_alloc, no handler call.
  handler_calls = 0;
  caught = false;
  try {
    HT_ESCAPE(__tm__ZnwmSt11align_val_t(16, 48, &s));
  } catch (const std::bad_alloc &) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ_INT(handler_calls, 0);
  std::set_new_handler(nullptr);
  CHECK_EQ_INT(ht_current(), c0);
}

static void test_nothrow_failure() {
  HT_SITE(s);
  size_t c0 = ht_current();
  std::set_new_handler(nullptr);
  CHECK(__tm__ZnwmRKSt9nothrow_t(kHuge, nt, &s) == nullptr);
  CHECK(__tm__ZnamRKSt9nothrow_t(kHuge, nt, &s) == nullptr);
  CHECK(__tm__ZnwmSt11align_val_tRKSt9nothrow_t(kHuge, 32, nt, &s) == nullptr);
  CHECK(__tm__ZnwmSt11align_val_tRKSt9nothrow_t(8, 3, nt, &s) == nullptr);

  // A handler that throws bad_alloc: nothrow new returns NULL.
  handler_calls = 0;
  std::set_new_handler(handler_throws_bad_alloc);
  CHECK(__tm__ZnwmRKSt9nothrow_t(kHuge, nt, &s) == nullptr);
  CHECK_EQ_INT(handler_calls, 1);
  CHECK(__tm__ZnamSt11align_val_tRKSt9nothrow_t(kHuge, 64, nt, &s) == nullptr);
  CHECK_EQ_INT(handler_calls, 2);

  // A handler that gives up after 3 calls: NULL.
  handler_calls = 0;
  std::set_new_handler(handler_gives_up);
  CHECK(__tm__ZnamRKSt9nothrow_t(kHuge, nt, &s) == nullptr);
  CHECK_EQ_INT(handler_calls, 3);
  std::set_new_handler(nullptr);
  CHECK_EQ_INT(tm_reentrant, 0);
  CHECK_EQ_INT(ht_current(), c0);

  // Hooks still record after all that.
  void *p = __tm__Znwm(8, &s);
  CHECK_EQ_INT(ht_current() - c0, 8);
  __tm__ZdlPv(p, &s);
}

// The handler makes room: with the address space capped, a big new fails
// until the handler lifts the cap; the retry then succeeds and is traced.
static struct rlimit saved_as;
static void handler_lifts_limit() {
  handler_calls++;
  setrlimit(RLIMIT_AS, &saved_as);
}

static size_t vm_size() {
  unsigned long pages = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%lu", &pages) != 1)
      pages = 0;
    fclose(f);
  }
  return pages * 4096;
}

static void test_handler_makes_room() {
  HT_SITE(s);
  const size_t big = size_t(1) << 30;
  size_t vm = vm_size();
  CHECK(vm > 0);
  getrlimit(RLIMIT_AS, &saved_as);
  struct rlimit capped = saved_as;
  capped.rlim_cur = vm + (size_t(256) << 20);
  if (setrlimit(RLIMIT_AS, &capped) != 0) {
    CHECK(!"setrlimit");
    return;
  }
  size_t c0 = ht_current();
  handler_calls = 0;
  std::set_new_handler(handler_lifts_limit);
  void *p = nullptr;
  try {
    p = __tm__Znwm(big, &s);
  } catch (...) {
  }
  std::set_new_handler(nullptr);
  setrlimit(RLIMIT_AS, &saved_as);
  CHECK(p != nullptr);
  CHECK_EQ_INT(handler_calls, 1);
  CHECK_EQ_INT(ht_current() - c0, big);
  HT_CHECK_SITE(p, s);
  __tm__ZdlPv(p, &s);
  CHECK_EQ_INT(ht_current(), c0);
}

int main() {
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  test_new_delete_accounting();
  test_aligned_new();
  test_every_delete();
  if (!HT_SANITIZER) {
    test_new_failure();
    test_nothrow_failure();
    test_handler_makes_room();
  }
  tm_stop();
  return CHECK_DONE();
}
