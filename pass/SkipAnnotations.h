/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- SkipAnnotations.h - functions the user keeps out of the pass
//--------===//
//
// TM_NO_INSTRUMENT (include/tracemalloc.h) is __attribute__((annotate(
// "tm_skip"))): clang lists the function in llvm.global.annotations. The
// instrumentation runs at OptimizerLast, after inlining, when an inlined copy
// of such a function is part of its caller; so a PipelineStart pass
// (TmMarkSkipsPass) makes annotated functions noinline first, and the
// annotation means what it says at every -O level.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_SKIPANNOTATIONS_H
#define TM_PASS_SKIPANNOTATIONS_H

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/PassManager.h"

namespace tmpass {

// Functions named in __attribute__((annotate("tm_skip"))).
llvm::SmallPtrSet<llvm::Function *, 8> annotatedSkips(llvm::Module &M);

// Adds noinline (and drops alwaysinline) on annotated functions.
class TmMarkSkipsPass : public llvm::PassInfoMixin<TmMarkSkipsPass> {
public:
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace tmpass

#endif // TM_PASS_SKIPANNOTATIONS_H
