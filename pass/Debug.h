/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- Debug.h - the pass's decision trace
//----------------------------------===//
//
// TM_DEBUG(dbgs() << "...\n") records one decision of the pass: a function
// instrumented or not and why, its frame or why none, where the frame is
// pushed and popped, each allocation call rewritten. It prints when
//   * -tm-debug or TM_PASS_DEBUG=1 is given (Options.h), in every build: the
//     LLVMs the pass is built against are usually release builds, whose opt
//     and clang have no -debug/-debug-only at all (LLVM_DEBUG cannot be
//     switched on there even in a plugin built without NDEBUG);
//   * or, like LLVM_DEBUG, with `-debug-only=tm-instrument` when both LLVM
//     and the plugin are built with assertions (-DTM_DEBUG=ON).
// Each .cpp that uses it defines DEBUG_TYPE as "tm-instrument" (one type for
// the whole pass, so one -debug-only switch shows every decision).
// The check is one load of a flag per decision, at compile time only.
//
// Lines start with "tm-instrument: " so they can be told apart from other
// passes' output and matched by FileCheck (test/pass/debug-output.ll).
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_DEBUG_H
#define TM_PASS_DEBUG_H

#include "Options.h"

#include "llvm/Support/Debug.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace llvm {
class BasicBlock;
class Instruction;
} // namespace llvm

namespace tmpass {

// "%name" of a block, or its slot number ("%3") when unnamed.
std::string blockName(const llvm::BasicBlock *BB);

// "file:line:col" of an instruction (with " @[ ... ]" for its inlinedAt
// chain), or "<no location>".
std::string locationOf(const llvm::Instruction &I);

} // namespace tmpass

// LLVM_DEBUG holds X in the else branch only: with -debug-only and -tm-debug
// both given, each line is printed once.
#define TM_DEBUG(X)                                                            \
  do {                                                                         \
    if (::tmpass::debugOutputRequested()) {                                    \
      X;                                                                       \
    } else {                                                                   \
      LLVM_DEBUG(X);                                                           \
    }                                                                          \
  } while (false)

#endif // TM_PASS_DEBUG_H
