/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tm_assert.h - TM_ASSERT, the runtime's invariant checks.
 *
 * Active only in a TM_DEBUG build (cmake -DTM_DEBUG=ON, which defines
 * TM_DEBUG=1 for the whole project); otherwise the condition is not even
 * evaluated, so the release hot paths compile to the same instructions.
 *
 * A failure writes one line, "FILE:LINE: assertion failed: COND", to stderr
 * and aborts. The line is one string literal built at compile time and is
 * written with write(2): an assertion can fail inside malloc, with a runtime
 * lock held, where stdio (which allocates and locks) cannot be used.
 *
 * Not named assert.h: the runtime's folders are include paths, and
 * <assert.h> must still find the C library's.
 */
#ifndef TM_ASSERT_H
#define TM_ASSERT_H

#ifdef TM_DEBUG
#include <stdlib.h>
#include <unistd.h>

#define TM_ASSERT_STR_(x) #x
#define TM_ASSERT_STR(x) TM_ASSERT_STR_(x)

static __attribute__((noinline, cold, noreturn, unused)) void
tm_assert_fail(const char *msg, size_t len) {
  // One write: the line is not interleaved with another thread's output.
  // Nothing to do if it fails; abort regardless.
  ssize_t rc = write(STDERR_FILENO, msg, len);
  (void)rc;
  abort();
}

#define TM_ASSERT(cond)                                                        \
  do {                                                                         \
    if (__builtin_expect(!(cond), 0)) {                                        \
      static const char tm_assert_msg_[] = __FILE__                            \
          ":" TM_ASSERT_STR(__LINE__) ": assertion failed: " #cond "\n";       \
      tm_assert_fail(tm_assert_msg_, sizeof tm_assert_msg_ - 1);               \
    }                                                                          \
  } while (0)
#else
/* Not evaluated (sizeof), but still type-checked, and what the condition
 * names still counts as used (no -Wunused in release builds). */
#define TM_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif /* TM_ASSERT_H */
