/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dump_path.c - expansion of TRACEMALLOC_DUMP's template (dump_path.h). */
#include "dump_path.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

typedef struct out {
  char *p;
  size_t len, o;
  bool ok;
} out_t;

static void put(out_t *w, const char *s, size_t n) {
  if (!w->ok || n >= w->len - w->o) {
    w->ok = false;
    return;
  }
  memcpy(w->p + w->o, s, n);
  w->o += n;
}

static void put_num(out_t *w, unsigned long long v, bool neg) {
  char buf[24];
  int n = snprintf(buf, sizeof buf, "%s%llu", neg ? "-" : "", v);
  put(w, buf, (size_t)n);
}

static void put_pid(out_t *w, long pid) {
  put_num(w, pid < 0 ? 0ull - (unsigned long long)pid : (unsigned long long)pid,
          pid < 0);
}

/* Does every '/'-separated component of s fit NAME_MAX? */
static bool components_fit(const char *s) {
  size_t run = 0;
  for (; *s; s++) {
    run = *s == '/' ? 0 : run + 1;
    if (run > NAME_MAX)
      return false;
  }
  return true;
}

bool tm_dump_path_expand(const char *tmpl, long pid, unsigned long seq,
                         const char *program, char *out, size_t len) {
  if (!tmpl || !out || len == 0)
    return false;
  out_t w = {out, len, 0, true};
  for (const char *s = tmpl; *s; s++) {
    if (s[0] == '%' && s[1] == 'p') {
      put_pid(&w, pid);
      s++;
    } else if (s[0] == '%' && s[1] == 'n') {
      put_num(&w, seq, false);
      s++;
    } else if (s[0] == '%' && s[1] == '%') {
      put(&w, "%", 1);
      s++;
    } else {
      put(&w, s, 1);
    }
  }
  size_t n = strlen(tmpl);
  if (n > 0 && tmpl[n - 1] == '/') {
    const char *prog = program && *program ? program : "program";
    put(&w, prog, strlen(prog));
    put(&w, ".", 1);
    put_pid(&w, pid);
    put(&w, ".tmd", 4);
  }
  if (!w.ok)
    return false;
  out[w.o] = '\0';
  return components_fit(out);
}
