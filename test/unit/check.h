/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* check.h - tiny assertion helpers for the C unit tests.
 *
 * CHECK(cond) and CHECK_EQ_*(a, b) print the expression, both values and the
 * location on failure and count it; main() ends with CHECK_DONE(), which
 * prints "N passed, M failed" and returns the exit status. */
#ifndef TM_TEST_CHECK_H
#define TM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      check_passed++;                                                          \
    } else {                                                                   \
      check_failed++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                     \
  do {                                                                         \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);            \
    if (check_a_ == check_b_) {                                                \
      check_passed++;                                                          \
    } else {                                                                   \
      check_failed++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n",        \
              __FILE__, __LINE__, #a, #b, check_a_, check_b_);                 \
    }                                                                          \
  } while (0)

#define CHECK_EQ_STR(a, b)                                                     \
  do {                                                                         \
    const char *check_a_ = (a), *check_b_ = (b);                               \
    if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) {             \
      check_passed++;                                                          \
    } else {                                                                   \
      check_failed++;                                                          \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" vs \"%s\")\n",    \
              __FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)",      \
              check_b_ ? check_b_ : "(null)");                                 \
    }                                                                          \
  } while (0)

#define CHECK_DONE()                                                           \
  (printf("%d passed, %d failed\n", check_passed, check_failed),               \
   check_failed ? 1 : 0)

#endif /* TM_TEST_CHECK_H */
