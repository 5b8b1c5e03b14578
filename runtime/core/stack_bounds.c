/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* stack_bounds.c - the calling thread's stack from /proc/self/maps
 * (stack_bounds.h). */
#include "stack_bounds.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The hexadecimal number at *p (advanced past it). */
static uintptr_t hex(const char **p, const char *end) {
  uintptr_t v = 0;
  for (; *p < end; (*p)++) {
    char c = **p;
    unsigned d;
    if (c >= '0' && c <= '9')
      d = (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a' + 10);
    else
      break;
    v = v << 4 | d;
  }
  return v;
}

bool tm_stack_bounds(uintptr_t *lo, uintptr_t *hi) {
  uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
  int fd;
  do
    fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return false;
  char buf[4096];
  size_t len = 0;
  uintptr_t below = 0, start = 0, end = 0; // below: end of the mapping under
  bool found = false;
  while (!found) {
    ssize_t n = read(fd, buf + len, sizeof buf - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t)n;
    const char *p = buf, *e = buf + len;
    for (;;) {
      const char *nl = memchr(p, '\n', (size_t)(e - p));
      if (!nl)
        break;
      // "start-end perms offset dev inode path"
      const char *q = p;
      uintptr_t s = hex(&q, nl);
      uintptr_t t = q < nl && *q == '-' ? (q++, hex(&q, nl)) : 0;
      p = nl + 1;
      if (sp >= s && sp < t) {
        start = s;
        end = t;
        found = true;
        break;
      }
      if (t <= sp)
        below = t;
    }
    if (found)
      break;
    len = (size_t)(e - p);
    if (len == sizeof buf) // a line longer than the buffer: drop it
      len = 0;
    memmove(buf, p, len);
  }
  close(fd);
  if (!found)
    return false;
  if (getpid() == (pid_t)syscall(SYS_gettid)) {
    // The main thread's stack grows down, as far as RLIMIT_STACK allows and
    // not into the mapping below.
    struct rlimit rl;
    uintptr_t floor = below;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < end && end - rl.rlim_cur > floor)
      floor = end - (uintptr_t)rl.rlim_cur;
    if (floor < start)
      start = floor;
  }
  *lo = start;
  *hi = end;
  return true;
}
