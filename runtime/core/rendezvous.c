/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* rendezvous.c - find the other runtime copies of this process and decide
 * which one traces (rendezvous.h).
 *
 * The exported object `__tm_runtime_rendezvous` is the contract between
 * copies of ANY version: its name, its first fields and their meaning never
 * change (`layout` says which fields follow, for a future version). The
 * runtime refers to its own copy through a local alias, never through the
 * exported name: inside libtracemalloc.so a default-visibility symbol
 * would resolve to the executable's copy when the executable exports one.
 *
 * Lookup. dl_iterate_phdr lists every loaded object, the ones loaded
 * RTLD_LOCAL included (as Python loads extensions), and the symbol is looked
 * up in each object's own dynamic symbol table (its GNU or SysV hash
 * table), without the loader: dlopen(RTLD_NOLOAD) would run the
 * constructors of an object that is loaded but not initialised yet (a
 * library that depends on libtracemalloc.so, while libtracemalloc.so's own
 * constructor runs), and dlsym may malloc.
 */
#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "rendezvous.h"

#define TM_RENDEZVOUS_MAGIC 0x7472616365636f70ull /* "tracecop" */
#define TM_RENDEZVOUS_LAYOUT 1u

enum { STATE_UNDECIDED, STATE_ACTIVE, STATE_DORMANT };

#define TM_STR_(x) #x
#define TM_STR(x) TM_STR_(x)
#define TM_VERSION_STRING                                                      \
  TM_STR(TM_VERSION_MAJOR)                                                     \
  "." TM_STR(TM_VERSION_MINOR) "." TM_STR(TM_VERSION_PATCH)

/* Layout 1. Never reorder or remove a field; append only, and bump
 * layout. */
struct tm_rendezvous {
  uint64_t magic;          /* TM_RENDEZVOUS_MAGIC */
  uint32_t layout;         /* TM_RENDEZVOUS_LAYOUT */
  uint32_t abi;            /* TM_ABI_VERSION */
  uint32_t version_number; /* TM_VERSION_NUMBER */
  _Atomic uint32_t state;  /* STATE_* */
  const char *version;     /* "MAJOR.MINOR.PATCH" */
};

static struct tm_rendezvous self = {TM_RENDEZVOUS_MAGIC, TM_RENDEZVOUS_LAYOUT,
                                    TM_ABI_VERSION,      TM_VERSION_NUMBER,
                                    STATE_UNDECIDED,     TM_VERSION_STRING};

/* The exported name: an alias of `self`, so that no reference of ours goes
 * through it. */
extern struct tm_rendezvous __tm_runtime_rendezvous
    __attribute__((alias("self"), visibility("default")));

struct search {
  const struct tm_rendezvous *active; /* another copy that traces */
  char active_path[PATH_MAX];
};

static const char *object_of(const void *addr, char *buf, size_t len) {
  Dl_info info;
  const char *name = NULL;
  if (dladdr(addr, &info) && info.dli_fname && *info.dli_fname)
    name = info.dli_fname;
  if (!name) {
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
      return "the program";
    buf[n] = '\0';
    return buf;
  }
  snprintf(buf, len, "%s", name);
  return buf;
}

/* A dynamic-section address: glibc relocates the entries of loaded objects
 * in place, the vDSO's (and a read-only .dynamic's) stay relative. */
static uintptr_t dyn_addr(ElfW(Addr) base, ElfW(Addr) v) {
  return v < base ? base + v : v;
}

static uint32_t gnu_hash(const char *s) {
  uint32_t h = 5381;
  for (; *s; s++)
    h = h * 33 + (unsigned char)*s;
  return h;
}

static uint32_t sysv_hash(const char *s) {
  uint32_t h = 0;
  for (; *s; s++) {
    h = (h << 4) + (unsigned char)*s;
    uint32_t g = h & 0xf0000000u;
    if (g)
      h ^= g >> 24;
    h &= ~g;
  }
  return h;
}

/* The address of the defined dynamic symbol `name` in one loaded object,
 * or NULL. */
static const void *object_lookup(const struct dl_phdr_info *info,
                                 const char *name) {
  const ElfW(Dyn) *dyn = NULL;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++)
    if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
      dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
  if (!dyn)
    return NULL;
  ElfW(Addr) base = info->dlpi_addr;
  const ElfW(Sym) *symtab = NULL;
  const char *strtab = NULL;
  const uint32_t *gnu = NULL, *sysv = NULL;
  for (; dyn->d_tag != DT_NULL; dyn++) {
    switch (dyn->d_tag) {
    case DT_SYMTAB:
      symtab = (const ElfW(Sym) *)dyn_addr(base, dyn->d_un.d_ptr);
      break;
    case DT_STRTAB:
      strtab = (const char *)dyn_addr(base, dyn->d_un.d_ptr);
      break;
    case DT_GNU_HASH:
      gnu = (const uint32_t *)dyn_addr(base, dyn->d_un.d_ptr);
      break;
    case DT_HASH:
      sysv = (const uint32_t *)dyn_addr(base, dyn->d_un.d_ptr);
      break;
    }
  }
  if (!symtab || !strtab)
    return NULL;
#define TM_MATCH(i)                                                            \
  (symtab[i].st_shndx != SHN_UNDEF && symtab[i].st_value != 0 &&               \
   strcmp(strtab + symtab[i].st_name, name) == 0)
  if (gnu) {
    uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom_size = gnu[2];
    if (nbuckets == 0)
      return NULL;
    const uint32_t *buckets =
        (const uint32_t *)((const ElfW(Addr) *)(gnu + 4) + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    uint32_t h = gnu_hash(name);
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset)
      return NULL;
    for (;; i++) {
      uint32_t ch = chain[i - symoffset];
      if ((ch | 1u) == (h | 1u) && TM_MATCH(i))
        return (const void *)(base + symtab[i].st_value);
      if (ch & 1u)
        return NULL;
    }
  }
  if (sysv) {
    uint32_t nbucket = sysv[0];
    const uint32_t *bucket = sysv + 2, *chain = bucket + nbucket;
    if (nbucket == 0)
      return NULL;
    for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i != STN_UNDEF;
         i = chain[i])
      if (TM_MATCH(i))
        return (const void *)(base + symtab[i].st_value);
  }
#undef TM_MATCH
  return NULL;
}

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct search *s = data;
  const struct tm_rendezvous *r =
      object_lookup(info, "__tm_runtime_rendezvous");
  if (r && r != &self && r->magic == TM_RENDEZVOUS_MAGIC &&
      atomic_load_explicit(&((struct tm_rendezvous *)r)->state,
                           memory_order_acquire) == STATE_ACTIVE) {
    s->active = r; // named after the walk: dladdr takes the loader lock
    return 1;      // stop at the first active copy
  }
  return 0;
}

bool tm_rendezvous_claim(void) {
  uint32_t st = atomic_load_explicit(&self.state, memory_order_acquire);
  if (st != STATE_UNDECIDED)
    return st == STATE_ACTIVE;
  static struct search s; // PATH_MAX: not on a constructor's stack
  memset(&s, 0, sizeof s);
  dl_iterate_phdr(visit, &s);
  if (!s.active) {
    atomic_store_explicit(&self.state, STATE_ACTIVE, memory_order_release);
    return true;
  }
  atomic_store_explicit(&self.state, STATE_DORMANT, memory_order_release);
  const struct tm_rendezvous *a = s.active;
  if (a->version_number != self.version_number || a->abi != self.abi) {
    object_of(a, s.active_path, sizeof s.active_path);
    char here[PATH_MAX], line[3 * PATH_MAX];
    // The other copy's version string is read only if its layout has one.
    const char *theirs = a->layout >= 1 && a->version ? a->version : "?";
    int n = snprintf(line, sizeof line,
                     "tracemalloc: warning: two runtime versions in one "
                     "process: %s (ABI %u) in %s traces; %s (ABI %u) in %s "
                     "stays dormant\n",
                     theirs, a->abi, s.active_path, self.version, self.abi,
                     object_of(&self, here, sizeof here));
    if (n > 0) {
      ssize_t w = write(STDERR_FILENO, line,
                        (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
      (void)w;
    }
  }
  return false;
}

bool tm_rendezvous_dormant(void) {
  return atomic_load_explicit(&self.state, memory_order_relaxed) ==
         STATE_DORMANT;
}

struct containing {
  uintptr_t addr;
  bool interposer;
};

static bool contains(const struct dl_phdr_info *info, uintptr_t addr) {
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_LOAD && addr >= lo && addr - lo < ph->p_memsz)
      return true;
  }
  return false;
}

static int visit_containing(struct dl_phdr_info *info, size_t size,
                            void *data) {
  (void)size;
  struct containing *c = data;
  if (!contains(info, c->addr))
    return 0;
  c->interposer =
      object_lookup(info, "__tm_interposed_malloc") == (const void *)c->addr;
  return 1;
}

bool tm_rendezvous_is_interposer(const void *fn) {
  struct containing c = {(uintptr_t)fn, false};
  dl_iterate_phdr(visit_containing, &c);
  return c.interposer;
}

struct after {
  uintptr_t self;
  const char *name;
  bool passed, found;
};

static int visit_after(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  struct after *a = data;
  if (!a->passed) {
    a->passed = contains(info, a->self);
    return 0;
  }
  a->found = object_lookup(info, a->name) != NULL;
  return a->found;
}

bool tm_rendezvous_defined_after(const void *from, const char *name) {
  struct after a = {(uintptr_t)from, name, false, false};
  dl_iterate_phdr(visit_after, &a);
  return a.found;
}
