/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* error.c - status strings and the per-thread last-error message. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "raw_alloc.h"

enum { TM_ERROR_MESSAGE_MAX = 512 };

static __thread char last_message[TM_ERROR_MESSAGE_MAX];

int tm_version_number(void) { return TM_VERSION_NUMBER; }

const char *tm_strerror(tm_status_t status) {
  switch (status) {
  case TM_OK:
    return "success";
  case TM_ENOMEM:
    return "out of memory";
  case TM_EINVAL:
    return "invalid argument";
  case TM_ENOTTRACING:
    return "not tracing";
  case TM_EIO:
    return "input/output error";
  case TM_EFORMAT:
    return "invalid snapshot file";
  case TM_EVERSION:
    return "unsupported snapshot format version";
  }
  return "unknown status";
}

const char *tm_error_message(void) { return last_message; }

// (The name in parentheses: error.h may define a tm_set_error macro for the
// static analyzer.)
tm_status_t(tm_set_error)(tm_status_t status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_message, sizeof last_message, fmt, ap);
  va_end(ap);
  return status;
}

void tm_clear_error(void) { last_message[0] = '\0'; }

void tm_free(void *p) { tm_raw_free(p); }
