// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// test_hooks_cxx_replace.cpp - a program that replaces operator new and
// delete: the hooks must call the replacement (not bypass it with their own
// malloc), not record the replacement's inner malloc, and record the block
// once, with the site and the size requested.
#include <cstdint>
#include <cstdlib>
#include <new>

#include "hooks/hooks_test.h"

static int new_calls, delete_calls;

void *operator new(std::size_t n) {
  new_calls++;
  void *p = std::malloc(n ? n : 1);
  if (p == nullptr)
    throw std::bad_alloc();
  return p;
}

void operator delete(void *p) noexcept {
  delete_calls++;
  std::free(p);
}

void operator delete(void *p, std::size_t) noexcept {
  delete_calls++;
  std::free(p);
}

int main() {
  HT_SITE(s_new);
  HT_SITE(s_nothrow);
  tm_shadow_thread_init();
  CHECK_EQ_INT(tm_start(25), TM_OK);
  size_t c0 = ht_current();

  void *p = __tm__Znwm(40, &s_new);
  CHECK_EQ_INT(new_calls, 1);
  CHECK_EQ_INT(ht_current() - c0, 40); // once, not again for its malloc
  HT_CHECK_SITE(p, s_new);

  // libstdc++'s nothrow new calls the replaced plain new. (A sanitizer's
  // nothrow new does not: it allocates itself, and then reports the
  // replacement's free of that block as a mismatch. That is the
  // sanitizer's behaviour with or without us, so it is not tested there.)
  if (!HT_SANITIZER) {
    void *q = __tm__ZnwmRKSt9nothrow_t(24, &std::nothrow, &s_nothrow);
    CHECK_EQ_INT(new_calls, 2);
    CHECK_EQ_INT(ht_current() - c0, 64);
    HT_CHECK_SITE(q, s_nothrow);
    __tm__ZdlPvm(q, 24, &s_new);
    CHECK_EQ_INT(delete_calls, 1);
    CHECK_EQ_INT(ht_current() - c0, 40);
  }

  __tm__ZdlPv(p, &s_new);
  CHECK_EQ_INT(delete_calls, HT_SANITIZER ? 1 : 2);
  CHECK_EQ_INT(ht_current(), c0);

  // A replacement that throws: through the hook, tm_reentrant restored.
  bool caught = false;
  try {
    HT_ESCAPE(__tm__Znwm(SIZE_MAX / 4, &s_new));
  } catch (const std::bad_alloc &) {
    caught = true;
  }
  CHECK(caught);
  CHECK_EQ_INT(tm_reentrant, 0);
  void *r = __tm__Znwm(8, &s_new);
  CHECK_EQ_INT(ht_current() - c0, 8);
  __tm__ZdlPv(r, &s_new);

  tm_stop();
  return CHECK_DONE();
}
