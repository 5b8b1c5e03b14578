/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- FramePolicy.h - which functions push a shadow frame, which calls
//----===//
//                     store their site into it
//
// A shadow frame exists only to say "this function called that line" when an
// allocation happens further down. So a call stores its site into the
// caller's frame record only if something below it may allocate, and a function
// pushes a frame only if it makes at least one such call:
//
//   * intrinsics, inline asm, rewritten allocation calls (the site travels as
//     an argument) and calls to __tm_* never store;
//   * a call whose memory attributes forbid writing non-argument memory
//     (readnone, readonly, argmemonly) cannot allocate;
//   * a short list of libc functions that never allocate (memcpy, strlen,
//     ...; NOT printf and friends: stdio allocates buffers lazily);
//   * a call to a function defined here (and not interposable) may allocate
//     iff that function may allocate: a fixpoint over the module's call graph,
//     so recursive fib(), a tree walk or a qsort comparator get no frame;
//   * everything else (indirect calls, unknown externals) may allocate. An
//     indirect call to malloc then reaches the runtime through interposition
//     and is attributed to this slot: the caller's line.
//
// A function with no frame needs no restore at landing pads or after setjmp:
// every frame below it belongs to a function it reached through a call that
// may allocate, which would have given it a frame.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_FRAMEPOLICY_H
#define TM_PASS_FRAMEPOLICY_H

#include "llvm/ADT/DenseSet.h"

namespace llvm {
class CallBase;
class Function;
class Module;
} // namespace llvm

namespace tmpass {

class FramePolicy {
public:
  explicit FramePolicy(llvm::Module &M);

  // Something reached through CB may allocate, so CB's site must be in the
  // caller's frame record when it runs. False for allocation calls themselves.
  bool callNeedsSlot(const llvm::CallBase &CB) const;

  // F (defined in this module) may allocate, directly or through callees.
  bool mayAllocate(const llvm::Function &F) const {
    return MayAlloc.count(&F) != 0;
  }

  // F (defined in this module) calls tm_start, directly or through functions
  // defined here: it may be entered before tracing starts and still be on
  // the stack afterwards, so it gets no untraced copy (Instrumenter.cpp).
  bool mayStartTracing(const llvm::Function &F) const {
    return StartsTracing.count(&F) != 0;
  }

private:
  enum class CallClass { NoAlloc, Alloc, Hook, Local };
  static CallClass classify(const llvm::CallBase &CB,
                            const llvm::Function **LocalCallee);

  llvm::DenseSet<const llvm::Function *> MayAlloc, StartsTracing;
};

} // namespace tmpass

#endif // TM_PASS_FRAMEPOLICY_H
