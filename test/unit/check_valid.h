/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* check_valid.h - CHECK_VALID(): the runtime's own invariant validators
 * (tm_trace_table_validate, tm_intern_validate), as one CHECK for the core
 * unit tests to run at quiet points. Prints what is broken on failure. */
#ifndef TM_TEST_CHECK_VALID_H
#define TM_TEST_CHECK_VALID_H

#include <stdio.h>

#include "check.h"
#include "trace_table.h"
#include "traceback.h"

/* The first broken invariant of the trace table or the intern set; NULL
 * when both hold. */
static inline const char *check_valid_error(void) {
  const char *err = tm_trace_table_validate();
  return err ? err : tm_intern_validate();
}

#define CHECK_VALID()                                                          \
  do {                                                                         \
    const char *check_valid_err_ = check_valid_error();                        \
    if (check_valid_err_)                                                      \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, check_valid_err_);    \
    CHECK(check_valid_err_ == NULL);                                           \
  } while (0)

#endif /* TM_TEST_CHECK_VALID_H */
