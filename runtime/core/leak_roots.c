/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leak_roots.c - where the leak scan looks for pointers (leak_roots.h).
 *
 * Why the bounds matter. A root that reaches into the runtime's own memory
 * hides leaks: the trace table and its caches hold the address of every
 * traced block. /proc/self/maps shows one line for adjacent anonymous
 * mappings with the same protection, so the mapping that holds a thread's
 * descriptor can go on into a table the runtime mapped just above it (seen
 * on the main thread, whose descriptor ld.so puts in a page of its own:
 * about one run in fifteen, depending on where mmap placed things). Every
 * thread range therefore ends at the descriptor's end when the descriptor
 * lies in its mapping.
 */
#include "leak_roots.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

enum {
  RED_ZONE = 128, // below the stack pointer (x86-64 SysV)
  // glibc's struct pthread when libc does not give its size (2,368 bytes in
  // glibc 2.36; LSan uses similar per-version constants), rounded up.
  DESCRIPTOR_FALLBACK = 4096,
  TLS_FALLBACK = 64 << 10, // static TLS below tp when ld.so does not say
};

void tm_roots_add(tm_roots_t *rs, uintptr_t beg, uintptr_t end) {
  if (beg < end && rs->n < rs->max)
    rs->r[rs->n++] = (tm_range_t){beg, end};
}

static int module_cb(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  tm_roots_t *rs = arg;
  // libtracemalloc.so's own data holds the runtime's state, not the
  // program's pointers (linked statically, it is part of the executable's
  // segments and is scanned: it holds no pointer to a traced block).
  bool runtime = false;
  if (info->dlpi_name && info->dlpi_name[0])
    for (int i = 0; i < info->dlpi_phnum; i++) {
      const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t b = info->dlpi_addr + ph->p_vaddr;
      if (ph->p_type == PT_LOAD && rs->self_code >= b &&
          rs->self_code < b + ph->p_memsz)
        runtime = true;
    }
  if (runtime)
    return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
      continue;
    uintptr_t b = info->dlpi_addr + ph->p_vaddr;
    tm_roots_add(rs, b, b + ph->p_memsz);
  }
  return 0;
}

void tm_roots_add_modules(tm_roots_t *rs) { dl_iterate_phdr(module_cb, rs); }

tm_tls_layout_t tm_roots_tls_layout(void) {
  tm_tls_layout_t l = {TLS_FALLBACK, DESCRIPTOR_FALLBACK, SIZE_MAX};
  void (*get)(size_t *, size_t *) = (void (*)(size_t *, size_t *))dlsym(
      RTLD_DEFAULT, "_dl_get_tls_static_info");
  size_t size = 0, align = 0;
  if (get)
    get(&size, &align);
  if (size)
    l.tls_size = size;
  // libthread_db's view of struct pthread (a GLIBC_PRIVATE constant).
  const uint32_t *descriptor =
      (const uint32_t *)dlsym(RTLD_DEFAULT, "_thread_db_sizeof_pthread");
  if (descriptor && *descriptor && *descriptor <= DESCRIPTOR_FALLBACK)
    l.descriptor_size = *descriptor;
  // The descriptor's `dtv` field, as libthread_db finds it: {size in bits,
  // count, offset} (a GLIBC_PRIVATE constant).
  const uint32_t *dtvp =
      (const uint32_t *)dlsym(RTLD_DEFAULT, "_thread_db_pthread_dtvp");
  if (dtvp && dtvp[0] == 8 * sizeof(void *) && dtvp[1] == 1 &&
      dtvp[2] % sizeof(void *) == 0 && dtvp[2] < l.descriptor_size)
    l.dtv_offset = dtvp[2];
  return l;
}

size_t tm_roots_maps_size(void) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  char buf[4096];
  size_t len = 0;
  ssize_t got;
  while ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
    if (got > 0)
      len += (size_t)got;
  close(fd);
  return len;
}

size_t tm_roots_read_maps(char *buf, size_t max) {
  int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    buf[0] = '\0';
    return 0;
  }
  size_t len = 0;
  ssize_t got;
  while (len < max - 1 && ((got = read(fd, buf + len, max - 1 - len)) > 0 ||
                           (got < 0 && errno == EINTR)))
    if (got > 0)
      len += (size_t)got;
  close(fd);
  buf[len] = '\0';
  return len;
}

static uintptr_t hex(const char **p) {
  uintptr_t v = 0;
  for (;; ++*p) {
    char c = **p;
    if (c >= '0' && c <= '9')
      v = v << 4 | (uintptr_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v = v << 4 | (uintptr_t)(c - 'a' + 10);
    else
      return v;
  }
}

bool tm_roots_mapping_of(const char *maps, uintptr_t addr, uintptr_t *beg,
                         uintptr_t *end) {
  for (const char *p = maps; *p;) {
    uintptr_t b = hex(&p);
    if (*p == '-')
      p++;
    uintptr_t e = hex(&p);
    if (*p == ' ')
      p++;
    bool readable = *p == 'r';
    if (addr >= b && addr < e) {
      *beg = b;
      *end = e;
      return readable;
    }
    p = strchr(p, '\n');
    if (!p)
      break;
    p++;
  }
  return false;
}

void tm_roots_add_thread(tm_roots_t *rs, const char *maps, uintptr_t sp,
                         uintptr_t tp, const tm_tls_layout_t *layout) {
  // Where the descriptor ends; no limit when tp is unknown.
  uintptr_t descriptor_end = UINTPTR_MAX;
  if (tp && tp <= UINTPTR_MAX - layout->descriptor_size)
    descriptor_end = tp + layout->descriptor_size;
  uintptr_t b, e;
  if (sp && tm_roots_mapping_of(maps, sp, &b, &e)) {
    // A pthread's stack mapping ends with its TLS and descriptor (glibc
    // puts them at its top); a stack elsewhere (the main thread's, or one
    // the program supplied) keeps its whole mapping.
    if (tp > sp && tp < e && descriptor_end < e)
      e = descriptor_end;
    tm_roots_add(rs, sp - RED_ZONE > b ? sp - RED_ZONE : b, e);
  }
  if (tp && tm_roots_mapping_of(maps, tp, &b, &e)) {
    uintptr_t lo = tp > layout->tls_size ? tp - layout->tls_size : 0;
    tm_roots_add(rs, lo > b ? lo : b, descriptor_end < e ? descriptor_end : e);
  }
}
