// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- SkipAnnotations.cpp - annotate("tm_skip")
//----------------------------===//
#include "SkipAnnotations.h"

#include "Debug.h"
#include "RuntimeABI.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"

using namespace llvm;

#define DEBUG_TYPE "tm-instrument"

namespace tmpass {

SmallPtrSet<Function *, 8> annotatedSkips(Module &M) {
  SmallPtrSet<Function *, 8> Out;
  GlobalVariable *GA = M.getNamedGlobal("llvm.global.annotations");
  if (!GA || !GA->hasInitializer())
    return Out;
  auto *Arr = dyn_cast<ConstantArray>(GA->getInitializer());
  if (!Arr)
    return Out;
  // Each entry: { ptr annotated, ptr annotation string, ptr file, i32 line,
  // ptr args }.
  for (Value *Op : Arr->operands()) {
    auto *S = dyn_cast<ConstantStruct>(Op);
    if (!S || S->getNumOperands() < 2)
      continue;
    auto *F = dyn_cast<Function>(S->getOperand(0)->stripPointerCasts());
    auto *Str = dyn_cast<GlobalVariable>(S->getOperand(1)->stripPointerCasts());
    if (!F || !Str || !Str->hasInitializer())
      continue;
    if (auto *CDA = dyn_cast<ConstantDataArray>(Str->getInitializer()))
      if (CDA->isCString() && CDA->getAsCString() == SkipAnnotation)
        Out.insert(F);
  }
  return Out;
}

PreservedAnalyses TmMarkSkipsPass::run(Module &M, ModuleAnalysisManager &) {
  bool Changed = false;
  for (Function *F : annotatedSkips(M)) {
    if (F->hasFnAttribute(Attribute::NoInline))
      continue;
    F->removeFnAttr(Attribute::AlwaysInline);
    F->addFnAttr(Attribute::NoInline);
    TM_DEBUG(dbgs() << "tm-instrument: '" << F->getName()
                    << "': annotate(\"tm_skip\"): made noinline\n");
    Changed = true;
  }
  return Changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace tmpass
