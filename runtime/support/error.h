/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* error.h - status codes plus a per-thread message (tm_error_message()).
 *
 * Every public function that fails calls tm_set_error() with the status and a
 * message in CPython's words where CPython has one, then returns the status.
 * The message buffer is thread-local, so it never allocates.
 */
#ifndef TM_ERROR_H
#define TM_ERROR_H

#include "tracemalloc.h"

#if defined(__GNUC__)
#define TM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TM_PRINTF(a, b)
#endif

/* Record the message of the failure and return `status`. */
tm_status_t tm_set_error(tm_status_t status, const char *fmt, ...)
    TM_PRINTF(2, 3);
#ifdef __clang_analyzer__
/* For the static analyzer only (clang-tidy): it cannot see into error.c, so
 * it would assume `return tm_set_error(TM_EFORMAT, ...)` may return TM_OK
 * and report the outputs of every failed reader as uninitialised. */
#define tm_set_error(status, ...) (tm_set_error(status, __VA_ARGS__), (status))
#endif

/* Evaluate a tm_status_t expression and return its status from the
 * enclosing function unless it is TM_OK: the loaders' steps are chains of
 * such calls, and each failure has already recorded its message. */
#define TRY(expr)                                                              \
  do {                                                                         \
    tm_status_t try_st_ = (expr);                                              \
    if (try_st_ != TM_OK)                                                      \
      return try_st_;                                                          \
  } while (0)

/* Forget the last message (used by functions that succeed after a retry). */
void tm_clear_error(void);

#endif /* TM_ERROR_H */
