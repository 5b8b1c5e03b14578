/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- AllocSiteFinder.h - which calls are allocation calls to rewrite ----===//
//
// A call or invoke is rewritten to __tm_NAME when its callee, after stripping
// pointer casts, is a function named NAME from tracemalloc_hooks.def that
//   * is only declared in this module (a definition is a custom allocator),
//   * has external linkage (a `static void *malloc()` is someone else's),
//   * is called with its own function type (K&R/mismatched declarations on
//     LLVM 14 show up as bitcast callees with another type),
//   * has the arity and void-ness the .def gives for NAME.
// Matching is by callee name on purpose: TargetLibraryInfo does not report
// calls under -fno-builtin nor direct `::operator new(n)` calls (clang marks
// those nobuiltin), and lacks reallocarray/pvalloc before LLVM 22.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_ALLOCSITEFINDER_H
#define TM_PASS_ALLOCSITEFINDER_H

#include "RuntimeABI.h"

#include "llvm/ADT/SmallVector.h"

namespace llvm {
class CallBase;
class Function;
} // namespace llvm

namespace tmpass {

struct AllocCall {
  llvm::CallBase *Call;
  const HookInfo *Hook;
};

// The .def row for CB if CB must be rewritten, else null.
const HookInfo *matchAllocCall(const llvm::CallBase &CB);

// Every allocation call of F, in instruction order.
llvm::SmallVector<AllocCall, 8> findAllocCalls(llvm::Function &F);

} // namespace tmpass

#endif // TM_PASS_ALLOCSITEFINDER_H
