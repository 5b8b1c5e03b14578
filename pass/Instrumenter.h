/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- Instrumenter.h - the tm-instrument module pass ---------------------===//
//
// `opt -passes=tm-instrument` and, from Plugin.cpp, the OptimizerLast
// extension point of clang at every optimisation level. Collects first
// (allocation calls, slot-storing calls), then builds the site table, pushes
// the shadow frame and rewrites the calls. Idempotent: a function is
// processed once, then carries the "tm-instrumented" attribute.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_INSTRUMENTER_H
#define TM_PASS_INSTRUMENTER_H

#include "llvm/IR/PassManager.h"

namespace tmpass {

class TmInstrumentPass : public llvm::PassInfoMixin<TmInstrumentPass> {
public:
  // ForceSiteOnly: the `tm-instrument<site-only>` pipeline parameter.
  explicit TmInstrumentPass(bool ForceSiteOnly = false)
      : ForceSiteOnly(ForceSiteOnly) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  // -O0 marks functions optnone; a pass that is not required is skipped.
  static bool isRequired() { return true; }

private:
  bool ForceSiteOnly;
};

} // namespace tmpass

#endif // TM_PASS_INSTRUMENTER_H
