// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- FramePolicy.cpp - may-allocate fixpoint over the module ------------===//
#include "FramePolicy.h"

#include "AllocSiteFinder.h"
#include "Compat.h"
#include "Debug.h"
#include "RuntimeABI.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;

#define DEBUG_TYPE "tm-instrument"

namespace tmpass {
namespace {

// libc/libm/libgcc functions that never call malloc (glibc 2.36). Kept short
// and obvious on purpose: a wrong entry loses a frame, a missing one only
// costs a store. Mostly needed at -O0, where declarations carry no inferred
// memory attributes.
bool isKnownNonAllocating(StringRef Name) {
  static const StringSet<> Names = {
      // <string.h>
      "memcpy",
      "memmove",
      "memset",
      "memcmp",
      "bcmp",
      "bzero",
      "memchr",
      "memrchr",
      "strlen",
      "strnlen",
      "strcmp",
      "strncmp",
      "strcasecmp",
      "strncasecmp",
      "strchr",
      "strrchr",
      "strstr",
      "strcpy",
      "strncpy",
      "stpcpy",
      "stpncpy",
      "strcat",
      "strncat",
      "strspn",
      "strcspn",
      "strpbrk",
      "wcslen",
      "wmemcpy",
      "wmemset",
      "wmemcmp",
      "__memcpy_chk",
      "__memmove_chk",
      "__memset_chk",
      "__strcpy_chk",
      "__strncpy_chk",
      "__strcat_chk",
      // <stdlib.h> arithmetic, <ctype.h> tables, errno
      "abs",
      "labs",
      "llabs",
      "__errno_location",
      "__ctype_b_loc",
      "__ctype_tolower_loc",
      "__ctype_toupper_loc",
      "toupper",
      "tolower",
      // <math.h> (may set errno, never allocate)
      "sqrt",
      "sqrtf",
      "fabs",
      "fabsf",
      "floor",
      "floorf",
      "ceil",
      "ceilf",
      "round",
      "roundf",
      "trunc",
      "truncf",
      "fmod",
      "fmodf",
      "pow",
      "powf",
      "exp",
      "expf",
      "exp2",
      "log",
      "logf",
      "log2",
      "log10",
      "sin",
      "sinf",
      "cos",
      "cosf",
      "tan",
      "atan",
      "atan2",
      "fmin",
      "fmax",
      // threads and non-local jumps
      "pthread_self",
      "pthread_mutex_lock",
      "pthread_mutex_unlock",
      "pthread_mutex_trylock",
      "pthread_spin_lock",
      "pthread_spin_unlock",
      "setjmp",
      "_setjmp",
      "sigsetjmp",
      "__sigsetjmp",
      // C++ EH helpers that only free or do bookkeeping (a free needs no
      // traceback)
      "__cxa_begin_catch",
      "__cxa_end_catch",
      "__cxa_guard_acquire",
      "__cxa_guard_release",
      "__cxa_guard_abort",
  };
  return Names.count(Name) != 0;
}

} // namespace

FramePolicy::CallClass FramePolicy::classify(const CallBase &CB,
                                             const Function **LocalCallee) {
  if (isa<IntrinsicInst>(CB) || CB.isInlineAsm())
    return CallClass::NoAlloc;
  if (matchAllocCall(CB))
    return CallClass::Hook;
  const auto *Callee =
      dyn_cast<Function>(CB.getCalledOperand()->stripPointerCasts());
  if (Callee && tm_compat::startsWith(Callee->getName(), HookPrefix))
    return CallClass::Hook;
  if (CB.onlyReadsMemory() || CB.onlyAccessesArgMemory())
    return CallClass::NoAlloc;
  if (!Callee)
    return CallClass::Alloc; // indirect: malloc by pointer is interposed
  if (Callee->isIntrinsic())
    return CallClass::NoAlloc;
  if (Callee->isDeclaration())
    return isKnownNonAllocating(Callee->getName()) ? CallClass::NoAlloc
                                                   : CallClass::Alloc;
  if (Callee->isInterposable())
    return CallClass::Alloc;
  *LocalCallee = Callee;
  return CallClass::Local;
}

FramePolicy::FramePolicy(Module &M) {
  // STEP 1: direct facts, and the reverse call graph for the local calls.
  DenseMap<const Function *, SmallVector<const Function *, 4>> Callers;
  SmallVector<const Function *, 64> Worklist, StartWorklist;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    bool Direct = false;
    for (Instruction &I : instructions(F)) {
      const auto *CB = dyn_cast<CallBase>(&I);
      if (!CB)
        continue;
      if (const Function *Callee = CB->getCalledFunction())
        if (Callee->getName() == "tm_start")
          StartWorklist.push_back(&F);
      const Function *Local = nullptr;
      switch (classify(*CB, &Local)) {
      case CallClass::Alloc:
      case CallClass::Hook:
        TM_DEBUG(if (!Direct) {
          const Value *Callee = CB->getCalledOperand()->stripPointerCasts();
          dbgs() << "tm-instrument: '" << F.getName()
                 << "' may allocate: calls "
                 << (isa<Function>(Callee) ? "'" + Callee->getName().str() + "'"
                                           : std::string("through a pointer"))
                 << "\n";
        });
        Direct = true;
        break;
      case CallClass::Local:
        Callers[Local].push_back(&F);
        break;
      case CallClass::NoAlloc:
        break;
      }
    }
    if (Direct && MayAlloc.insert(&F).second)
      Worklist.push_back(&F);
  }
  // STEP 2: whoever calls a function that may start tracing may too (only
  // calls to functions defined here are followed: an unknown callee is not
  // assumed to start tracing).
  for (const Function *F : StartWorklist)
    StartsTracing.insert(F);
  while (!StartWorklist.empty()) {
    const Function *F = StartWorklist.pop_back_val();
    auto It = Callers.find(F);
    if (It == Callers.end())
      continue;
    for (const Function *Caller : It->second)
      if (StartsTracing.insert(Caller).second)
        StartWorklist.push_back(Caller);
  }
  // STEP 3: whoever calls a function that may allocate may allocate.
  while (!Worklist.empty()) {
    const Function *F = Worklist.pop_back_val();
    auto It = Callers.find(F);
    if (It == Callers.end())
      continue;
    for (const Function *Caller : It->second)
      if (MayAlloc.insert(Caller).second) {
        TM_DEBUG(dbgs() << "tm-instrument: '" << Caller->getName()
                        << "' may allocate: calls '" << F->getName()
                        << "', which may\n");
        Worklist.push_back(Caller);
      }
  }
}

bool FramePolicy::callNeedsSlot(const CallBase &CB) const {
  const Function *Local = nullptr;
  switch (classify(CB, &Local)) {
  case CallClass::Alloc:
    return true;
  case CallClass::Local:
    return mayAllocate(*Local);
  case CallClass::Hook:
  case CallClass::NoAlloc:
    return false;
  }
  return true;
}

} // namespace tmpass
