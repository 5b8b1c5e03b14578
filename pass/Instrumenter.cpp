// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- Instrumenter.cpp - drive the instrumentation of a module
//------------===//
//
// STEP 1  skip the runtime itself and read the options;
// STEP 2  decide per function: skipped (declaration, available_externally,
//         naked, __tm_*, disable_sanitizer_instrumentation,
//         annotate("tm_skip"), skipped file, already instrumented),
//         folded (in a system header: allocation calls rewritten, no frame;
//         SystemHeaders.h) or instrumented;
// STEP 3  per instrumented function: collect allocation calls and
//         slot-storing calls, build its site table, push its shadow frame
//         (unless site-only, readonly/readnone, or nothing below it can
//         allocate), rewrite the allocation calls to __tm_NAME(args, site);
// STEP 4  the module constructor calling __tm_module_init_v4 (and the
//         destructor calling __tm_module_fini_v4).
//
//===----------------------------------------------------------------------===//
#include "Instrumenter.h"

#include "AllocSiteFinder.h"
#include "Compat.h"
#include "Debug.h"
#include "FramePolicy.h"
#include "Options.h"
#include "RuntimeABI.h"
#include "ShadowStack.h"
#include "SiteTable.h"
#include "SkipAnnotations.h"
#include "SystemHeaders.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SCCIterator.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <optional>

using namespace llvm;

#define DEBUG_TYPE "tm-instrument"

STATISTIC(NumAllocCalls, "Allocation calls rewritten to __tm_* hooks");
STATISTIC(NumFrames, "Functions given a shadow frame");
STATISTIC(NumSlotStores, "Call sites storing their site into the frame");
STATISTIC(NumDirectTracedCalls,
          "Calls in traced copies redirected to another traced copy");
STATISTIC(NumUntracedCopies,
          "Functions split into a dispatch, an untraced and a traced copy");

namespace tmpass {
namespace {

// The blocks of F that lie on a cycle of its CFG.
SmallPtrSet<BasicBlock *, 16> blocksOnCycles(Function &F) {
  SmallPtrSet<BasicBlock *, 16> OnCycle;
  for (auto I = scc_begin(&F); !I.isAtEnd(); ++I)
    if (I.hasCycle())
      OnCycle.insert(I->begin(), I->end());
  return OnCycle;
}

// The site operand of a hook call. A hook call on a cycle LOADS its site
// (volatile, from a private constant) instead of materialising the address:
// the backend hoists a materialised address out of the loop (MachineLICM
// hoists every rematerialisable instruction) and keeps it in a callee-saved
// register across the loop's calls, so the whole function pays a push and a
// pop on every call for an allocation that seldom runs (bench/pass
// tree_walk: 2.25 instructions per call). A load costs the same one
// instruction on the allocation path and cannot be hoisted.
Value *siteOperand(CallBase &Hooked, SiteTable &Table, unsigned Index,
                   const SmallPtrSetImpl<BasicBlock *> &OnCycle) {
  if (Index == SiteTable::NoSite || !OnCycle.count(Hooked.getParent()))
    return Table.address(Index);
  GlobalVariable *Ref = Table.reference(Index);
  IRBuilder<> B(&Hooked);
  return B.CreateLoad(Ref->getValueType(), Ref, /*isVolatile=*/true, "tm.site");
}

// p = NAME(args)  ->  p = __tm_NAME(args, site); invoke stays invoke.
void rewriteAllocCall(CallBase &CB, const HookInfo &H, Value *Site) {
  Module &M = *CB.getModule();
  LLVMContext &Ctx = M.getContext();
  FunctionType *FT = CB.getFunctionType();
  // Only what matchAllocCall accepted is rewritten, and never a hook call
  // (a second run must find nothing to rewrite).
  assert(matchAllocCall(CB) == &H && "rewriting a call that is no allocation");
  assert(
      !tm_compat::startsWith(
          CB.getCalledOperand()->stripPointerCasts()->getName(), HookPrefix) &&
      "rewriting a hook call");
  assert(FT->getNumParams() == H.NumParams &&
         FT->getReturnType()->isVoidTy() == H.ReturnsVoid &&
         "call prototype differs from tracemalloc_hooks.def");
  assert(Site->getType() == tm_compat::getI8PtrTy(Ctx) &&
         "the site operand is a `const struct tm_site *`");
  SmallVector<Type *, 4> Params(FT->param_begin(), FT->param_end());
  Params.push_back(tm_compat::getI8PtrTy(Ctx));
  // A plain declaration: no allocator attributes, or LLVM would delete or
  // reorder hook pairs as it does malloc/free pairs.
  FunctionCallee Hook = M.getOrInsertFunction(
      (Twine(HookPrefix) + H.Name).str(),
      FunctionType::get(FT->getReturnType(), Params, /*isVarArg=*/false));
  if (auto *HF = dyn_cast<Function>(Hook.getCallee()))
    if (HF->use_empty()) // just declared: same convention as the callee
      HF->setCallingConv(CB.getCallingConv());

  SmallVector<Value *, 4> Args(CB.arg_begin(), CB.arg_end());
  Args.push_back(Site);
  SmallVector<OperandBundleDef, 1> Bundles;
  CB.getOperandBundlesAsDefs(Bundles);

  IRBuilder<> B(&CB);
  CallBase *New;
  if (auto *II = dyn_cast<InvokeInst>(&CB)) {
    New = B.CreateInvoke(Hook, II->getNormalDest(), II->getUnwindDest(), Args,
                         Bundles);
  } else {
    auto *CI = B.CreateCall(Hook, Args, Bundles);
    if (cast<CallInst>(CB).isTailCall())
      CI->setTailCall();
    New = CI;
  }
  New->setCallingConv(CB.getCallingConv());
  New->setDebugLoc(CB.getDebugLoc());
  AttributeList Ret =
      AttributeList::get(Ctx, AttributeList::ReturnIndex,
                         AttrBuilder(Ctx, CB.getAttributes().getRetAttrs()));
  New->setAttributes(Ret);
  // The hook returns what the call returned: its users are kept as they are.
  assert(New->getType() == CB.getType() &&
         New->arg_size() == CB.arg_size() + 1 &&
         isa<InvokeInst>(New) == isa<InvokeInst>(CB) &&
         "the hook call must be the call plus a site argument");
  New->takeName(&CB);
  CB.replaceAllUsesWith(New);
  CB.eraseFromParent();
  ++NumAllocCalls;
}

class ModuleInstrumenter {
public:
  ModuleInstrumenter(Module &M, const Options &O)
      : M(M), Opts(O), Policy(M), Strings(M), Skips(annotatedSkips(M)),
        Folding(O) {}

  bool run() {
    bool Changed = false, UsesRuntime = false;
    TM_DEBUG(dbgs() << "tm-instrument: module '" << M.getName() << "'"
                    << (Opts.SiteOnly ? ", site-only" : "")
                    << (Opts.SkipFiles.empty() ? "" : ", skip-files")
                    << (Opts.SystemFrames ? ", system frames kept" : "")
                    << "\n");
    // A snapshot: instrumenting a function may add its traced copy to M.
    SmallVector<Function *, 64> Functions;
    for (Function &F : M)
      Functions.push_back(&F);
    for (Function *FP : Functions) {
      Function &F = *FP;
      if (const char *Why = skipReason(F)) {
        // Declarations are most of a module and never instrumented: noise.
        if (!F.isDeclaration())
          TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                          << "': not instrumented: " << Why << "\n");
        continue;
      }
      F.addFnAttr(InstrumentedAttr);
      Changed = true;
      UsesRuntime |= instrumentFunction(F);
    }
    callTracedCopiesDirectly();
    if (UsesRuntime)
      createModuleCtor();
    keepAllocatorReferences();
    return Changed;
  }

private:
  // Why F is left alone, or null when it is to be instrumented.
  const char *skipReason(Function &F) const {
    if (F.isDeclaration())
      return "declaration";
    if (F.hasAvailableExternallyLinkage())
      return "available_externally";
    // Idempotence: fat LTO and ThinLTO backends run the pass again.
    if (F.hasFnAttribute(InstrumentedAttr))
      return "already instrumented";
    if (F.hasFnAttribute(Attribute::Naked))
      return "naked";
    if (F.hasFnAttribute(Attribute::DisableSanitizerInstrumentation))
      return "disable_sanitizer_instrumentation";
    if (tm_compat::startsWith(F.getName(), HookPrefix))
      return "runtime function (__tm_*)";
    if (F.getName() == ModuleCtorName || F.getName() == ModuleDtorName)
      return "module constructor";
    if (Skips.count(&F))
      return "annotate(\"tm_skip\")";
    if (!Opts.SkipFiles.empty()) {
      if (Opts.isSkippedFile(M.getSourceFileName()))
        return "skipped file (module source)";
      if (const DISubprogram *SP = F.getSubprogram())
        if (Opts.isSkippedFile(sourcePathOf(SP)))
          return "skipped file (function's DISubprogram)";
    }
    return nullptr;
  }

  // CB's callee is a function this module instruments (or folds) and that
  // no other definition can replace: when CB returns, every record pushed
  // below it has been popped, even after a longjmp below it, since the
  // callee re-installs its own record after the calls that leave this
  // module's instrumented code (ShadowStack.h). False for an indirect call,
  // an external or interposable callee, and one defined here but skipped:
  // control may come back from those by a longjmp to a setjmp in code that
  // does not keep the shadow stack, with the top at the dead records of the
  // frames the jump skipped.
  bool reachesOnlyInstrumented(const CallBase &CB) const {
    const auto *Callee =
        dyn_cast<Function>(CB.getCalledOperand()->stripPointerCasts());
    if (!Callee || Callee->isDeclaration() || Callee->isInterposable())
      return false;
    // Instrumented in this run (marked before its body is), or by an
    // earlier run of the pass (LTO backends run it again).
    return Callee->hasFnAttribute(InstrumentedAttr) ||
           !skipReason(const_cast<Function &>(*Callee));
  }

  // Why F gets no frame before its calls are looked at, or null.
  const char *noFrameReason(Function &F) const {
    if (Opts.SiteOnly)
      return "site-only mode";
    if (F.onlyReadsMemory())
      return "readonly/readnone";
    if (tm_compat::isPresplitCoroutine(F))
      return "presplit coroutine";
    return nullptr;
  }

  bool needsFrame(Function &F, SmallVectorImpl<CallBase *> &SlotCalls) {
    if (const char *Why = noFrameReason(F)) {
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                      << "': no frame: " << Why << "\n");
      return false;
    }
    for (Instruction &I : instructions(F))
      if (auto *CB = dyn_cast<CallBase>(&I))
        if (Policy.callNeedsSlot(*CB)) {
          // A call is either rewritten (its site is an argument) or stores
          // its site in the slot, never both.
          assert(!matchAllocCall(*CB) && "an allocation call needs no slot");
          SlotCalls.push_back(CB);
        }
    TM_DEBUG({
      if (SlotCalls.empty())
        dbgs() << "tm-instrument: '" << F.getName()
               << "': no frame: no call may allocate below it\n";
      else
        dbgs() << "tm-instrument: '" << F.getName()
               << "': frame: " << SlotCalls.size()
               << " call(s) may allocate below it\n";
      for (CallBase *CB : SlotCalls) {
        const Value *Callee = CB->getCalledOperand()->stripPointerCasts();
        dbgs() << "tm-instrument:   slot store before call to "
               << (isa<Function>(Callee) ? "'" + Callee->getName().str() + "'"
                                         : std::string("<indirect>"))
               << " at " << locationOf(*CB) << "\n";
      }
    });
    return !SlotCalls.empty();
  }

  // Why F, which needs a frame, gets no untraced copy (it then pushes its
  // frame whether or not tracing is on, as every frame did in ABI v2), or
  // null.
  const char *noUntracedCopyReason(Function &F) const {
    if (Opts.NoUntracedCopy)
      return "untraced copies disabled (-tm-untraced-copy=0)";
    if (F.isVarArg())
      return "variadic (the dispatch cannot forward its arguments)";
    for (unsigned I = 0; I < F.arg_size(); ++I)
      if (F.hasParamAttribute(I, Attribute::InAlloca) ||
          F.hasParamAttribute(I, Attribute::Preallocated) ||
          F.hasParamAttribute(I, Attribute::SwiftError))
        return "an inalloca, preallocated or swifterror parameter";
    for (BasicBlock &BB : F) {
      // An untraced frame cannot set the depth back after an unwind or a
      // second return into it: it does not know it.
      if (BB.isEHPad())
        return "an EH pad";
      if (BB.hasAddressTaken())
        return "a block whose address is taken (blockaddress)";
      for (Instruction &I : BB)
        if (auto *CB = dyn_cast<CallBase>(&I)) {
          if (CB->hasFnAttr(Attribute::ReturnsTwice))
            return "a returns_twice call";
        }
    }
    // The functions that start tracing keep their frames: they are entered
    // before tracing starts and stay on the stack (include/tracemalloc_abi.h
    // section 2).
    if (Policy.mayStartTracing(F))
      return "calls tm_start, directly or through functions defined here";
    return nullptr;
  }

  // A copy of F's body: private, so that it has no symbol (a symbolizer, a
  // sanitizer report or a debugger names its code after F, through the
  // debug info; a symbol `F.tm_traced` would win over it), in F's comdat
  // (dropped with it), never inlined back into F (F is the dispatch alone:
  // see emitDispatch), named F + Suffix, placed after F.
  Function *cloneBody(Function &F, const char *Suffix) {
    ValueToValueMapTy VMap;
    Function *C = CloneFunction(&F, VMap);
    C->setName(F.getName() + Suffix);
    C->setLinkage(GlobalValue::PrivateLinkage);
    C->setVisibility(GlobalValue::DefaultVisibility);
    C->setDLLStorageClass(GlobalValue::DefaultStorageClass);
    C->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
    C->setComdat(F.getComdat());
    C->removeFnAttr(Attribute::AlwaysInline);
    C->addFnAttr(Attribute::NoInline);
    // Now after F in the module, like the cloned blocks are after F's.
    C->removeFromParent();
    F.getParent()->getFunctionList().insertAfter(F.getIterator(), C);
    return C;
  }

  // A traced copy runs while tracing: its direct calls of functions that
  // have a traced copy go to that copy, skipping the entry test. Such a
  // chain goes on pushing frames if tracing stops meanwhile, until it
  // returns: exact either way.
  void callTracedCopiesDirectly() {
    for (const auto &FT : TracedCopy)
      for (Instruction &I : instructions(*FT.second))
        if (auto *CB = dyn_cast<CallBase>(&I)) {
          auto It = TracedCopy.find(
              dyn_cast<Function>(CB->getCalledOperand()->stripPointerCasts()));
          if (It != TracedCopy.end() && CB->getCalledOperand() == It->first &&
              CB->getFunctionType() == It->second->getFunctionType()) {
            CB->setCalledFunction(It->second);
            ++NumDirectTracedCalls;
          }
        }
  }

  // F becomes the dispatch alone:
  //   if (__tm_tracing_flag) return F.tm_traced(args...);
  //   return F.tm_untraced(args...);
  // Its body moves to U (the untraced copy). Were the untraced body left in
  // F after the test, the code generator would save F's callee-saved
  // registers before the test (the arguments are copied into them at
  // entry), and every traced call through F would pay that prologue and
  // its epilogue: 12 to 20 instructions, against one tail jump here.
  void emitDispatch(Function &F, Function &T, Function &U) {
    LLVMContext &Ctx = F.getContext();
    for (BasicBlock &BB : F)
      BB.dropAllReferences();
    while (!F.empty())
      F.begin()->eraseFromParent();
    BasicBlock *Entry = BasicBlock::Create(Ctx, "entry", &F);
    auto *Traced = BasicBlock::Create(Ctx, "tm.traced", &F);
    auto *Untraced = BasicBlock::Create(Ctx, "tm.untraced", &F);
    IRBuilder<> B(Entry);
    Type *I8 = Type::getInt8Ty(Ctx);
    LoadInst *On = B.CreateAlignedLoad(I8, tracingFlag(), Align(1), "tm.on");
    // Relaxed: tm_start/tm_stop in another thread are seen eventually.
    On->setAtomic(AtomicOrdering::Unordered);
    // Not tracing is the fall-through; tracing costs one taken branch.
    B.CreateCondBr(B.CreateICmpNE(On, ConstantInt::get(I8, 0), "tm.tracing"),
                   Traced, Untraced,
                   MDBuilder(Ctx).createBranchWeights(1, 1u << 20));
    SmallVector<Value *, 8> Args;
    SmallVector<AttributeSet, 8> ArgAttrs;
    AttributeList FA = F.getAttributes();
    for (Argument &A : F.args()) {
      Args.push_back(&A);
      ArgAttrs.push_back(FA.getParamAttrs(A.getArgNo()));
    }
    for (auto [BB, Callee] : {std::pair(Traced, &T), std::pair(Untraced, &U)}) {
      B.SetInsertPoint(BB);
      // A call inlinable into a function with debug info needs a location.
      if (DISubprogram *SP = F.getSubprogram())
        B.SetCurrentDebugLocation(DILocation::get(Ctx, 0, 0, SP));
      CallInst *CI = B.CreateCall(Callee, Args);
      CI->setCallingConv(F.getCallingConv());
      CI->setAttributes(
          AttributeList::get(Ctx, AttributeSet(), FA.getRetAttrs(), ArgAttrs));
      CI->setTailCallKind(CallInst::TCK_Tail);
      if (F.getReturnType()->isVoidTy())
        B.CreateRetVoid();
      else
        B.CreateRet(CI);
    }
  }

  GlobalVariable *tracingFlag() {
    if (GlobalVariable *GV = M.getNamedGlobal(TracingFlagName))
      return GV;
    auto *GV =
        new GlobalVariable(M, Type::getInt8Ty(M.getContext()),
                           /*isConstant=*/false, GlobalValue::ExternalLinkage,
                           nullptr, TracingFlagName);
    // In an executable the flag is the executable's (the static runtime's,
    // or a copy-relocated one): one RIP-relative compare, no GOT load.
    if (M.getPICLevel() == PICLevel::NotPIC ||
        M.getPIELevel() != PIELevel::Default)
      GV->setDSOLocal(true);
    return GV;
  }

  // F's DISubprogram is in a system header (or a skipped file, when F was
  // not skipped as a whole: never, today): its frames are folded.
  bool isFolded(Function &F) {
    const DISubprogram *SP = F.getSubprogram();
    return SP && Folding.enabled() && Folding.isFolded(SP);
  }

  // A folded function: its allocation calls are rewritten (traced even when
  // the program's allocator is not ours) with the sites of their nearest
  // user location, or none; it gets no frame, so the calls it makes are the
  // user's call into it, which is in the caller's slot.
  bool instrumentFolded(Function &F) {
    SmallVector<AllocCall, 8> Allocs = findAllocCalls(F);
    unsigned Repairs = 0;
    if (!Opts.SiteOnly) {
      Repairs = emitDepthRepair(F, ShadowStackGlobals(M, Opts.LocalExec));
      if (Repairs)
        tm_compat::dropMemoryAttrs(F);
    }
    TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                    << "': frames folded (system header"
                    << (Opts.SkipFiles.empty() ? "" : " or skipped file")
                    << "): no frame, " << Allocs.size()
                    << " allocation call(s) rewritten, " << Repairs
                    << " landing pad(s) and returns_twice call(s) set the "
                       "depth back to entry's\n");
    if (Allocs.empty())
      return Repairs != 0;
    // Site-only, there is no shadow stack to attribute a null site to: a
    // call whose whole chain is folded keeps the function's own location,
    // better than <unknown>.
    return instrumentBody(F, Allocs, {}, /*Frame=*/false, F.getName(),
                          /*FunctionFolded=*/!Opts.SiteOnly);
  }

  bool instrumentFunction(Function &F) {
    if (isFolded(F))
      return instrumentFolded(F);
    SmallVector<AllocCall, 8> Allocs = findAllocCalls(F);
    SmallVector<CallBase *, 16> SlotCalls;
    bool Frame = needsFrame(F, SlotCalls);
    if (Allocs.empty() && !Frame) {
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                      << "': no allocation call, no frame: unchanged\n");
      return false;
    }
    if (Frame) {
      if (const char *Why = noUntracedCopyReason(F)) {
        TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                        << "': no untraced copy: " << Why << "\n");
      } else {
        // The traced copy gets the frame; the untraced copy (made below,
        // from F with its hooks: sites without TM_SITE_OWN_FRAME) none; F
        // becomes the dispatch between them.
        Function *T = cloneBody(F, TracedSuffix);
        TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                        << "': dispatch; frame in its traced copy '"
                        << T->getName() << "', called while " << TracingFlagName
                        << " is set, else its untraced copy '" << F.getName()
                        << UntracedSuffix << "'\n");
        SmallVector<AllocCall, 8> TAllocs = findAllocCalls(*T);
        SmallVector<CallBase *, 16> TSlotCalls;
        bool TFrame = needsFrame(*T, TSlotCalls);
        assert(TFrame && "the traced copy needs the frame F needs");
        instrumentBody(*T, TAllocs, TSlotCalls, TFrame, F.getName());
        ++NumUntracedCopies;
        if (!Allocs.empty())
          instrumentBody(F, Allocs, {}, /*Frame=*/false, F.getName());
        // F's body (its hooks) moves to U; F now calls T, which writes the
        // shadow stack.
        Function *U = cloneBody(F, UntracedSuffix);
        tm_compat::dropMemoryAttrs(F);
        emitDispatch(F, *T, *U);
        TracedCopy[&F] = T;
        return true;
      }
    }
    return instrumentBody(F, Allocs, SlotCalls, Frame, F.getName());
  }

  bool instrumentBody(Function &F, ArrayRef<AllocCall> Allocs,
                      ArrayRef<CallBase *> SlotCalls, bool Frame,
                      StringRef IRName, bool FunctionFolded = false) {
    std::optional<ShadowFrame> SF;
    if (Frame) {
      SmallVector<CallBase *, 8> Hooks;
      for (const AllocCall &A : Allocs)
        Hooks.push_back(A.Call);
      SF.emplace(F, SlotCalls, Hooks);
    }
    // Sites first: every index must exist before the array is built.
    SiteTable Table(F, Strings, IRName, Folding.enabled() ? &Folding : nullptr,
                    FunctionFolded);
    SmallVector<unsigned, 8> AllocSite, SlotSite;
    for (const AllocCall &A : Allocs)
      AllocSite.push_back(
          Table.add(*A.Call, SF && SF->isPushedAt(*A.Call) ? SiteOwnFrame : 0));
    for (CallBase *CB : SlotCalls)
      SlotSite.push_back(Table.add(*CB, 0));
    Table.finalize();

    // Memory attributes promise what the function no longer keeps (it writes
    // the shadow stack, calls opaque hooks): LTO must not optimise on them,
    // e.g. delete a slot store before a call inferred inaccessiblemem-only.
    tm_compat::dropMemoryAttrs(F);
    if (SF) {
      SmallVector<std::pair<CallBase *, Constant *>, 16> Stores;
      for (size_t I = 0; I < SlotCalls.size(); ++I) {
        Stores.push_back({SlotCalls[I], Table.address(SlotSite[I])});
        tm_compat::dropMemoryAttrs(*SlotCalls[I]);
      }
      SmallVector<CallBase *, 8> Reentries;
      for (CallBase *CB : SlotCalls)
        if (!reachesOnlyInstrumented(*CB))
          Reentries.push_back(CB);
      SF->emit(ShadowStackGlobals(M, Opts.LocalExec), Stores, Reentries);
      ++NumFrames;
      NumSlotStores += SlotCalls.size();
    }
    SmallPtrSet<BasicBlock *, 16> OnCycle = blocksOnCycles(F);
    for (const AllocCall &A : Allocs)
      if (Function *Callee = A.Call->getCalledFunction())
        Rewritten.insert(Callee);
    for (size_t I = 0; I < Allocs.size(); ++I) {
      CallBase &CB = *Allocs[I].Call;
      const HookInfo &H = *Allocs[I].Hook;
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName() << "': "
                      << (isa<InvokeInst>(CB) ? "invoke" : "call") << " '"
                      << H.Name << "' -> '" << HookPrefix << H.Name << "' at "
                      << locationOf(CB) << " in " << blockName(CB.getParent())
                      << (SF && SF->isPushedAt(CB) ? ", own frame"
                                                   : ", no own frame")
                      << (AllocSite[I] == SiteTable::NoSite
                              ? ", no site (folded: the caller's slot)"
                          : OnCycle.count(CB.getParent())
                              ? ", site loaded (on a cycle)"
                              : ", site constant")
                      << "\n");
      rewriteAllocCall(CB, H, siteOperand(CB, Table, AllocSite[I], OnCycle));
    }
    return true;
  }

  // One hidden linkonce_odr constructor per linked image (comdat keyed on
  // itself, as SanitizerCoverage does), and a destructor likewise:
  // __tm_module_init_v4 is idempotent, and its versioned name makes an ABI
  // mismatch a link error.
  void createModuleCtor() {
    if (Function *Existing = M.getFunction(ModuleCtorName)) {
      // Only this pass makes it (a second run, or modules linked for LTO).
      assert(Existing->hasFnAttribute(InstrumentedAttr) &&
             "a tm.module_ctor the pass did not create");
      (void)Existing;
      TM_DEBUG(dbgs() << "tm-instrument: module constructor already there\n");
      return;
    }
    TM_DEBUG(dbgs() << "tm-instrument: module constructor '" << ModuleCtorName
                    << "' calling '" << ModuleInitName << "'\n");
    LLVMContext &Ctx = M.getContext();
    auto *VoidFT = FunctionType::get(Type::getVoidTy(Ctx), false);
    // The image's site section: weak, so an image without one (every site
    // folded away) passes null bounds, which register nothing.
    Type *P = tm_compat::getI8PtrTy(Ctx);
    auto Bound = [&](StringRef Name) -> Constant * {
      if (GlobalVariable *GV = M.getNamedGlobal(Name))
        return GV;
      auto *GV = new GlobalVariable(
          M, Type::getInt8Ty(Ctx),
          /*isConstant=*/true, GlobalValue::ExternalWeakLinkage, nullptr, Name);
      GV->setVisibility(GlobalValue::HiddenVisibility);
      return GV;
    };
    Value *Args[] = {Bound(SitesStartName), Bound(SitesStopName)};
    auto *BoundsFT =
        FunctionType::get(Type::getVoidTy(Ctx), {P, P}, /*isVarArg=*/false);
    auto MakeStructor = [&](StringRef Name, StringRef Callee) {
      Function *Fn =
          Function::Create(VoidFT, GlobalValue::LinkOnceODRLinkage, Name, M);
      Fn->setVisibility(GlobalValue::HiddenVisibility);
      Fn->setComdat(M.getOrInsertComdat(Name));
      Fn->addFnAttr(Attribute::NoUnwind);
      Fn->addFnAttr(InstrumentedAttr);
      IRBuilder<> B(BasicBlock::Create(Ctx, "", Fn));
      B.CreateCall(M.getOrInsertFunction(Callee, BoundsFT), Args);
      B.CreateRetVoid();
      return Fn;
    };
    Function *Ctor = MakeStructor(ModuleCtorName, ModuleInitName);
    appendToGlobalCtors(M, Ctor, ModuleCtorPriority, Ctor);
    // Last destructor: the sections are withdrawn before dlclose unmaps
    // them (a dead frame record may still name one of their sites).
    Function *Dtor = MakeStructor(ModuleDtorName, ModuleFiniName);
    appendToGlobalDtors(M, Dtor, ModuleCtorPriority, Dtor);
  }

  // The object still references every allocation function whose calls it
  // rewrote. Without a reference, a program whose malloc comes from a static
  // library (-lmyalloc) would no longer pull that library's member out of
  // the archive: its calls now name __tm_malloc only, and the runtime's weak
  // malloc would silently take the allocator's place. A private array in
  // llvm.compiler.used keeps the undefined symbols in the object (and in an
  // LTO module's symbol table) at the cost of one pointer each.
  void keepAllocatorReferences() {
    if (Rewritten.empty())
      return;
    SmallVector<Constant *, 8> Refs(Rewritten.begin(), Rewritten.end());
    auto *Ty =
        ArrayType::get(tm_compat::getI8PtrTy(M.getContext()), Refs.size());
    for (Constant *&C : Refs)
      C = ConstantExpr::getPointerCast(C, Ty->getElementType());
    auto *GV = new GlobalVariable(
        M, Ty, /*isConstant=*/true, GlobalValue::PrivateLinkage,
        ConstantArray::get(Ty, Refs), "__tm_allocator_refs");
    appendToCompilerUsed(M, {GV});
  }

  Module &M;
  const Options &Opts;
  FramePolicy Policy;
  SiteStrings Strings;
  SmallPtrSet<Function *, 8> Skips;
  FrameFolding Folding;
  // Function -> its traced copy, in creation order (deterministic output).
  MapVector<Function *, Function *> TracedCopy;
  SetVector<Function *>
      Rewritten; // allocation functions whose calls we rewrote
};

// The runtime itself (or a program that links its sources) must not be
// instrumented: it defines the shadow-stack TLS or the init entry point.
bool isRuntimeModule(const Module &M) {
  const GlobalVariable *D = M.getNamedGlobal(ShadowTopName);
  if (D && !D->isDeclaration())
    return true;
  const Function *Init = M.getFunction(ModuleInitName);
  return Init && !Init->isDeclaration();
}

} // namespace

PreservedAnalyses TmInstrumentPass::run(Module &M, ModuleAnalysisManager &) {
  if (isRuntimeModule(M)) {
    TM_DEBUG(dbgs() << "tm-instrument: module '" << M.getName()
                    << "' defines the runtime: not instrumented\n");
    return PreservedAnalyses::all();
  }
  std::string Error;
  Options Opts = Options::fromCommandLineAndEnv(Error);
  if (!Error.empty())
    M.getContext().emitError(Error);
  Opts.SiteOnly |= ForceSiteOnly;
  if (!ModuleInstrumenter(M, Opts).run())
    return PreservedAnalyses::all();
  return PreservedAnalyses::none();
}

} // namespace tmpass
