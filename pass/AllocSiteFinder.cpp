// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- AllocSiteFinder.cpp - match allocation calls by callee name
//---------===//
#include "AllocSiteFinder.h"

#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace tmpass {

const HookInfo *matchAllocCall(const CallBase &CB) {
  if (CB.isInlineAsm())
    return nullptr;
  const auto *Callee =
      dyn_cast<Function>(CB.getCalledOperand()->stripPointerCasts());
  if (!Callee || !Callee->isDeclaration() || Callee->hasLocalLinkage())
    return nullptr;
  const HookInfo *H = findHook(Callee->getName());
  if (!H)
    return nullptr;
  FunctionType *FT = Callee->getFunctionType();
  if (CB.getFunctionType() != FT || FT->isVarArg() ||
      FT->getNumParams() != H->NumParams ||
      FT->getReturnType()->isVoidTy() != H->ReturnsVoid)
    return nullptr;
  // A musttail call must keep the caller's prototype; the hook has one more
  // parameter, so such a call (never seen in practice) is left alone.
  if (const auto *CI = dyn_cast<CallInst>(&CB))
    if (CI->isMustTailCall())
      return nullptr;
  return H;
}

SmallVector<AllocCall, 8> findAllocCalls(Function &F) {
  SmallVector<AllocCall, 8> Out;
  for (Instruction &I : instructions(F))
    if (auto *CB = dyn_cast<CallBase>(&I))
      if (const HookInfo *H = matchAllocCall(*CB))
        Out.push_back({CB, H});
  return Out;
}

} // namespace tmpass
