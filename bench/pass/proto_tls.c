/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proto_tls.c - the thread-locals of proto.c, in a translation unit of
 * their own so that proto.c reaches them as instrumented code reaches the
 * runtime's: initial-exec TLS of another object (in a PIE, through a
 * GOTTPOFF load). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define TLS_IE __attribute__((tls_model("initial-exec")))

/* ABI v3's traced frame: {depth, ring}. */
struct proto_shadow {
  uintptr_t depth;
  const void **frames;
};
static const void *proto_ring[1u << 20];
_Thread_local struct proto_shadow proto_shadow TLS_IE = {0, proto_ring};

/* Candidate (a): the innermost in-frame record. */
struct proto_rec;
_Thread_local struct proto_rec *proto_top TLS_IE;

/* Candidate (d): the calling-context integer. */
_Thread_local uintptr_t proto_ctx TLS_IE;

/* The same, for the accesses with the local-exec model. */
_Thread_local struct proto_shadow proto_shadow_le TLS_IE = {0, proto_ring};
_Thread_local struct proto_rec *proto_top_le TLS_IE;
_Thread_local uintptr_t proto_ctx_le TLS_IE;

/* (e): 2^20 slots in the first half of a 2^24-aligned block of 2^24 bytes,
 * so bit 23 of a slot's address is clear: clearing it after `+ 8` wraps
 * the top back to the base. Mapped by a constructor (a 2^24-aligned static
 * array makes an ELF whose symbols valgrind cannot read). */
const void **proto_sp_base;
_Thread_local const void **proto_sp_le TLS_IE;

__attribute__((constructor)) static void proto_sp_map(void) {
  size_t block = (size_t)1 << 24;
  char *m = mmap(NULL, 2 * block, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    perror("proto: mmap");
    exit(1);
  }
  uintptr_t base = ((uintptr_t)m + block - 1) & ~(uintptr_t)(block - 1);
  proto_sp_le = proto_sp_base = (const void **)base;
}
