/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* shadow_chain.h - hand-made shadow stacks for unit tests, as the frame
 * records instrumented code keeps (tracemalloc_abi.h section 2).
 *
 * A stack is given as slots frames[1..depth], bottom-up (NULL: an unknown
 * frame), and laid out as records in a buffer that the calling thread's
 * outermost test function declares in its own frame (TMT_CHAIN_BUFFER): a
 * capture reads records only inside the stack the thread is on and above
 * its own frame, and expects each caller's record at a higher address, as
 * a real chain is. The sites a record names must be in a registered site
 * section (tmt_register_site), as the pass's are: any other is read as an
 * unknown frame.
 */
#ifndef TM_TEST_SHADOW_CHAIN_H
#define TM_TEST_SHADOW_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "shadow_stack.h"
#include "site_sections.h"
#include "tracemalloc_abi.h"

/* This thread's record buffer and its capacity (records). */
static __thread struct tm_frame_record *tmt_chain;
static __thread size_t tmt_chain_cap;

/* Declares a buffer of n records in the current frame and makes it this
 * thread's: use it in a function that outlives every capture of the test
 * (main, a thread's start routine). */
#define TMT_CHAIN_BUFFER(n)                                                    \
  struct tm_frame_record tmt_chain_buf_[n];                                    \
  tmt_chain = tmt_chain_buf_;                                                  \
  tmt_chain_cap = (n)

/* Register one site as a section of its own (idempotent). */
static inline void tmt_register_site(const struct tm_site *s) {
  tm_site_sections_add(s, s + 1);
}

/* Make slots frames[1..depth] the thread's stack: tmt_chain[0] holds slot
 * depth (the innermost record, lowest address), tmt_chain[depth - 1] slot
 * 1, whose prev is NULL. depth 0: no record. Returns false (and changes
 * nothing) when the buffer is too small. */
static inline int tmt_set_stack(uintptr_t depth,
                                const struct tm_site *const *frames) {
  if (depth > tmt_chain_cap)
    return 0;
  for (uintptr_t i = 0; i < depth; i++) {
    tmt_chain[i].site = frames[depth - i];
    tmt_chain[i].prev = i + 1 < depth ? &tmt_chain[i + 1] : NULL;
  }
  __tm_shadow_top = depth ? &tmt_chain[0] : NULL;
  return 1;
}

#endif /* TM_TEST_SHADOW_CHAIN_H */
