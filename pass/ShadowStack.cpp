// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- ShadowStack.cpp - shadow frame placement and code generation -------===//
#include "ShadowStack.h"

#include "Compat.h"
#include "Debug.h"
#include "RuntimeABI.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

#include <optional>

using namespace llvm;

#define DEBUG_TYPE "tm-instrument"

STATISTIC(
    NumSiteDeltas,
    "Site stores made `rec.site += delta` after the previous site's call");

namespace tmpass {
namespace {

GlobalVariable *getTLS(Module &M, StringRef Name, Type *Ty, bool LocalExec) {
  if (GlobalVariable *GV = M.getNamedGlobal(Name))
    return GV;
  auto *GV = new GlobalVariable(M, Ty, /*isConstant=*/false,
                                GlobalValue::ExternalLinkage, nullptr, Name,
                                nullptr, GlobalValue::InitialExecTLSModel);
  if (LocalExec) {
    // One `mov %fs:__tm_shadow_top@tpoff` instead of a GOT load of the
    // offset kept in a callee-saved register (docs/performance.md).
    GV->setThreadLocalMode(GlobalValue::LocalExecTLSModel);
    GV->setDSOLocal(true);
  }
  return GV;
}

// To is reachable from From by a non-empty path.
bool reaches(BasicBlock *From, BasicBlock *To) {
  SmallVector<BasicBlock *, 16> Work(succ_begin(From), succ_end(From));
  SmallPtrSet<BasicBlock *, 32> Seen;
  while (!Work.empty()) {
    BasicBlock *B = Work.pop_back_val();
    if (B == To)
      return true;
    if (Seen.insert(B).second)
      Work.append(succ_begin(B), succ_end(B));
  }
  return false;
}

// BB lies on a cycle: it can run more than once per invocation.
bool onCycle(BasicBlock *BB) { return reaches(BB, BB); }

// First point of BB where the push can go (after the static allocas of the
// entry block, which must stay first).
BasicBlock::iterator pushPoint(BasicBlock &BB) {
  BasicBlock::iterator IP = BB.getFirstInsertionPt();
  if (BB.isEntryBlock())
    // And after the record's cast to i8* (typed pointers), which the
    // push uses.
    while (isa<AllocaInst>(*IP) ||
           (isa<BitCastInst>(*IP) && isa<AllocaInst>(IP->getOperand(0))))
      ++IP;
  return IP;
}

// The distance in bytes from site From to site To when both are constant
// offsets into one site table (the same function's), else none.
std::optional<int64_t> siteDelta(const DataLayout &DL, Constant *From,
                                 Constant *To) {
  unsigned Bits = DL.getIndexTypeSizeInBits(From->getType());
  APInt OffFrom(Bits, 0), OffTo(Bits, 0);
  const Value *BaseFrom = From->stripAndAccumulateConstantOffsets(
      DL, OffFrom, /*AllowNonInbounds=*/true);
  const Value *BaseTo = To->stripAndAccumulateConstantOffsets(
      DL, OffTo, /*AllowNonInbounds=*/true);
  if (BaseFrom != BaseTo || !isa<GlobalVariable>(BaseFrom))
    return std::nullopt;
  return (OffTo - OffFrom).getSExtValue();
}

} // namespace

ShadowStackGlobals::ShadowStackGlobals(Module &M, bool LocalExec) {
  LLVMContext &Ctx = M.getContext();
  PtrTy = tm_compat::getI8PtrTy(Ctx);
  RecordTy = StructType::get(PtrTy, PtrTy);
  Top = getTLS(M, ShadowTopName, PtrTy, LocalExec);
}

void ShadowFrame::collectRestorePoints() {
  for (BasicBlock &BB : F) {
    // After an unwind or a second return from setjmp/vfork, the frames of the
    // callees that were skipped over are gone: this function is on top again.
    if (BB.isEHPad() && !isa<CatchSwitchInst>(BB.getTerminator()))
      Pads.push_back(&*BB.getFirstInsertionPt());
    for (Instruction &I : BB)
      if (auto *CI = dyn_cast<CallInst>(&I))
        if (CI->hasFnAttr(Attribute::ReturnsTwice))
          Twice.push_back(CI);
  }
}

void ShadowFrame::computeReachable() {
  Reachable.clear();
  SmallVector<const BasicBlock *, 16> Work{Push};
  while (!Work.empty()) {
    const BasicBlock *B = Work.pop_back_val();
    if (Reachable.insert(B).second)
      Work.append(succ_begin(B), succ_end(B));
  }
}

ShadowFrame::ShadowFrame(Function &F, ArrayRef<CallBase *> SlotCalls,
                         ArrayRef<CallBase *> HookCalls)
    : F(F), DT(F) {
  collectRestorePoints();
  SmallVector<BasicBlock *, 16> Needing; // blocks that need the frame
  auto Include = [&](BasicBlock *BB) {
    if (!DT.isReachableFromEntry(BB))
      return;
    Needing.push_back(BB);
    Push = Push ? DT.findNearestCommonDominator(Push, BB) : BB;
  };
  for (CallBase *CB : SlotCalls)
    Include(CB->getParent());
  for (Instruction *I : Pads)
    Include(I->getParent());
  for (Instruction *I : Twice)
    Include(I->getParent());
  if (!Push) // every call is in dead code: push at entry, keep it simple
    Push = &F.getEntryBlock();
  TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName() << "': push in "
                  << blockName(Push) << " (dominates the " << Needing.size()
                  << " call(s) and landing pad(s) needing the frame)\n");
  while (Push != &F.getEntryBlock() && onCycle(Push))
    Push = hoistOutOfCycle(Push);
  if (trySplit(Needing))
    return;
  computeReachable();
  if (computeRegion(Needing)) {
    TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName() << "': region of "
                    << Region.size() << " block(s) from " << blockName(Push)
                    << ", popped on " << RegionExits.size()
                    << " edge(s) out of it and at its exits\n");
    return;
  }
  // Fallback: the frame lasts from P to the exits. Hoist P out of cycles,
  // and over hook calls that P may or may not precede, until stable (P only
  // moves up the dominator tree).
  for (bool Changed = true; Changed;) {
    Changed = false;
    while (Push != &F.getEntryBlock() && onCycle(Push)) {
      Push = hoistOutOfCycle(Push);
      Changed = true;
    }
    computeReachable();
    for (CallBase *H : HookCalls) {
      BasicBlock *B = H->getParent();
      if (Reachable.count(B) && !DT.dominates(Push, B) &&
          DT.isReachableFromEntry(B)) {
        Push = DT.findNearestCommonDominator(Push, B);
        TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                        << "': push hoisted to " << blockName(Push)
                        << " over the hook call in " << blockName(B)
                        << " (it may or may not run after the push)\n");
        Changed = true;
      }
    }
  }
  TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                  << "': no region: the frame lasts from " << blockName(Push)
                  << " to the exits\n");
  // Every hook call the push may precede, it dominates: the own-frame flag
  // is exact.
  assert(all_of(HookCalls,
                [&](CallBase *H) {
                  BasicBlock *B = H->getParent();
                  return !Reachable.count(B) || !DT.isReachableFromEntry(B) ||
                         DT.dominates(Push, B);
                }) &&
         "a hook call may or may not run with the frame pushed");
}

// Several pushes instead of one (ShadowStack.h, "Split"): the blocks needing
// the frame are grouped by the child of Push, in the dominator tree, that
// dominates them; each group of two or more gets its own push and region.
// False, leaving the frame as it was, when Push itself needs the frame,
// there is only one group, or some group's push or region does not come out
// clean (its push on a cycle, an edge out of its region that cannot take a
// store, two regions that share a block). The CFG is left as it was then.
bool ShadowFrame::trySplit(ArrayRef<BasicBlock *> Needing) {
  // At -O0 every push keeps its own stack slots (nothing is coalesced):
  // a split frame would take more machine stack per level, and -O0 is not
  // where the leaves' cost matters.
  if (!Pads.empty() || !Twice.empty() || F.hasOptNone())
    return false;
  DomTreeNode *PN = DT.getNode(Push);
  SmallVector<std::pair<BasicBlock *, SmallVector<BasicBlock *, 4>>, 4> Groups;
  for (BasicBlock *BB : Needing) {
    if (BB == Push || !DT.isReachableFromEntry(BB))
      return false;
    DomTreeNode *N = DT.getNode(BB);
    while (N->getIDom() != PN)
      N = N->getIDom();
    auto G = find_if(Groups,
                     [&](const auto &E) { return E.first == N->getBlock(); });
    if (G == Groups.end()) {
      Groups.push_back({N->getBlock(), {}});
      G = std::prev(Groups.end());
    }
    G->second.push_back(BB);
  }
  if (Groups.size() < 2)
    return false;
  BasicBlock *Whole = Push;
  SmallVector<Part, 2> NewParts;
  for (auto &[Child, Blocks] : Groups) {
    BasicBlock *P = Blocks.front();
    for (BasicBlock *BB : Blocks)
      P = DT.findNearestCommonDominator(P, BB);
    Push = P;
    Region.clear();
    RegionExits.clear();
    // A push on a cycle would have to be hoisted, which may split an edge
    // of a region already computed: no split then.
    bool Clean = !onCycle(P);
    if (Clean) {
      computeReachable();
      Clean = computeRegion(Blocks);
    }
    if (!Clean) {
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                      << "': no split: the calls under " << blockName(Child)
                      << " get no push of their own\n");
      Push = Whole;
      Region.clear();
      RegionExits.clear();
      return false;
    }
    NewParts.push_back({P, Reachable, Region, RegionExits});
  }
  for (size_t I = 0; I < NewParts.size(); ++I)
    for (size_t J = I + 1; J < NewParts.size(); ++J)
      for (const BasicBlock *B : NewParts[I].Region)
        if (NewParts[J].Region.count(B)) {
          TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                          << "': no split: two regions share "
                          << blockName(const_cast<BasicBlock *>(B)) << "\n");
          Push = Whole;
          Region.clear();
          RegionExits.clear();
          return false;
        }
  Parts = std::move(NewParts);
  Push = Whole;
  Region.clear();
  RegionExits.clear();
  TM_DEBUG({
    dbgs() << "tm-instrument: '" << F.getName() << "': split into "
           << Parts.size() << " pushes:";
    for (const Part &Pt : Parts)
      dbgs() << " " << blockName(Pt.Push) << " (region of " << Pt.Region.size()
             << " block(s), " << Pt.RegionExits.size() << " exit edge(s))";
    dbgs() << "\n";
  });
  return true;
}

// The region: the blocks reachable from P from which a block that needs the
// frame is reachable (they are all dominated by P: P is on no cycle and
// dominates those blocks), and the blocks entered from those only. The
// frame is popped on every edge that leaves it, so a path that is done with
// its calls - fib's base case that -O2 merged with the end of the
// recursion, or an allocation after the last call - runs with the frame
// popped, and a hook call out of the region is exactly one that runs
// without the frame. False, leaving the region empty, when an edge out of
// it cannot take a restore (an invoke's or callbr's, or one into an EH pad).
bool ShadowFrame::computeRegion(ArrayRef<BasicBlock *> Needing) {
  SmallVector<BasicBlock *, 16> Work(Needing.begin(), Needing.end());
  Work.push_back(Push);
  while (!Work.empty()) {
    BasicBlock *B = Work.pop_back_val();
    if (!Reachable.count(B) || !Region.insert(B).second)
      continue;
    Work.append(pred_begin(B), pred_end(B));
  }
  // Grow it over the blocks entered from it only: they run with the frame
  // pushed anyway, and popping at their rets instead of on the edges into
  // them takes fewer stores and no new blocks (a walk's shared `ret`).
  for (bool Grew = true; Grew;) {
    Grew = false;
    for (BasicBlock &B : F) {
      if (Region.count(&B) || !Reachable.count(&B) || B.isEHPad())
        continue;
      if (all_of(predecessors(&B),
                 [&](BasicBlock *Pred) { return Region.count(Pred); })) {
        Region.insert(&B);
        Grew = true;
      }
    }
  }
  for (BasicBlock &B : F) { // in function order: deterministic output
    if (!Region.count(&B))
      continue;
    Instruction *T = B.getTerminator();
    SmallPtrSet<BasicBlock *, 4> Seen; // a switch may have several edges
    for (BasicBlock *S : successors(&B)) {
      if (Region.count(S) || !Seen.insert(S).second)
        continue;
      if (S->isEHPad() || !(isa<BranchInst>(T) || isa<SwitchInst>(T))) {
        TM_DEBUG(
            dbgs() << "tm-instrument: '" << F.getName() << "': edge "
                   << blockName(&B) << " -> " << blockName(S)
                   << " out of the region cannot take a restore ("
                   << (S->isEHPad() ? "into an EH pad" : T->getOpcodeName())
                   << ")\n");
        Region.clear();
        RegionExits.clear();
        return false;
      }
      RegionExits.push_back({&B, S});
    }
  }
#ifndef NDEBUG
  // The push starts the region and dominates all of it: a block reachable
  // from it and reaching a block it dominates, but not dominated by it,
  // would put the push on a cycle (hoistOutOfCycle ruled that out).
  assert(Region.count(Push) && "the push is outside its region");
  for (const BasicBlock *B : Region)
    assert(DT.dominates(Push, B) &&
           "a region block the push does not dominate");
  for (BasicBlock *B : Needing)
    assert(Region.count(B) &&
           "a block needing the frame is outside the region");
  for (const Edge &E : RegionExits)
    assert(Region.count(E.first) && !Region.count(E.second) &&
           !E.second->isEHPad() && "a region exit edge that does not leave it");
#endif
  return true;
}

// The block before BB's cycle: when BB is a loop header entered by a single
// edge from outside the loop, that edge's source (or a new block splitting
// it, as -O2's rotated loops have no preheader); else BB's immediate
// dominator.
BasicBlock *ShadowFrame::hoistOutOfCycle(BasicBlock *BB) {
  BasicBlock *Outside = nullptr;
  unsigned Entering = 0;
  for (BasicBlock *Pred : predecessors(BB))
    if (!DT.dominates(BB, Pred)) {
      Outside = Pred;
      ++Entering;
    }
  if (Entering == 1 && !BB->isEHPad() && !reaches(BB, Outside)) {
    if (Outside->getSingleSuccessor() == BB) {
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                      << "': push hoisted out of the cycle of " << blockName(BB)
                      << " to its preheader " << blockName(Outside) << "\n");
      return Outside;
    }
    Instruction *T = Outside->getTerminator();
    if (isa<BranchInst>(T) || isa<SwitchInst>(T)) {
      BasicBlock *Pre = SplitEdge(Outside, BB, &DT);
      TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                      << "': push hoisted out of the cycle of " << blockName(BB)
                      << " to a new preheader on the edge "
                      << blockName(Outside) << " -> " << blockName(BB) << "\n");
      return Pre;
    }
  }
  BasicBlock *IDom = DT.getNode(BB)->getIDom()->getBlock();
  TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                  << "': push hoisted out of the cycle of " << blockName(BB)
                  << " to its immediate dominator " << blockName(IDom) << "\n");
  return IDom;
}

// The slot call whose site the record holds whenever CB is reached: the
// nearest one before CB on the only path back from CB, walking back through
// blocks with a single predecessor (each dominates the next) but not past
// the push (before it, the field is another frame's). None when a path may
// bring another site, or when the function has landing pads or
// returns_twice calls: control comes back there from later in the frame,
// with a later call's site in the record.
const CallBase *ShadowFrame::previousSlotCall(
    const CallBase &CB,
    const SmallDenseMap<const CallBase *, Constant *, 16> &Slots) const {
  if (!Pads.empty() || !Twice.empty())
    return nullptr;
  const BasicBlock *BB = CB.getParent();
  const Instruction *I = CB.getPrevNode();
  SmallPtrSet<const BasicBlock *, 8> Seen{BB};
  for (;;) {
    for (; I; I = I->getPrevNode())
      if (const auto *P = dyn_cast<CallBase>(I))
        if (Slots.count(P))
          return P;
    if (BB == Push)
      return nullptr;
    const BasicBlock *Pred = BB->getSinglePredecessor();
    if (!Pred || !Seen.insert(Pred).second)
      return nullptr;
    BB = Pred;
    I = &BB->back();
  }
}

bool ShadowFrame::isPushedAt(const Instruction &I) const {
  if (!Parts.empty())
    return any_of(Parts, [&](const Part &Pt) {
      return Pt.Region.count(I.getParent()) != 0;
    });
  if (!Region.empty())
    return Region.count(I.getParent());
  return DT.dominates(Push, I.getParent());
}

// The edges into Exit (which the push does not dominate) from blocks the
// push dominates, appended to Edges: restoring on them instead of in Exit
// spares the paths that reach Exit without pushing, which have nothing to
// restore. False when they would not cover exactly the pushed paths: a
// predecessor reachable from the push but not dominated by it (it may or may
// not have pushed), or an edge that cannot be split.
bool ShadowFrame::collectPushedEdges(BasicBlock &Exit,
                                     SmallVectorImpl<Edge> &Edges) const {
  if (Exit.isEHPad())
    return false;
  SmallPtrSet<BasicBlock *, 8> Seen; // a switch may have several edges to Exit
  for (BasicBlock *Pred : predecessors(&Exit)) {
    if (!Reachable.count(Pred) || !Seen.insert(Pred).second)
      continue; // never pushed: nothing to restore
    Instruction *T = Pred->getTerminator();
    if (!DT.dominates(Push, Pred) ||
        !(isa<BranchInst>(T) || isa<SwitchInst>(T)))
      return false;
    Edges.push_back({Pred, &Exit});
  }
  return true;
}

// Where the restore on edge From -> To goes: the end of From when To is its
// only successor, else a new block on the edge (one for all of From's edges
// to To). To always has another predecessor (the region absorbs a block
// entered from it only; a fallback exit has a predecessor the push does not
// dominate), so the edge is critical and splits.
Instruction *ShadowFrame::restorePointOn(const Edge &E) {
  Instruction *T = E.first->getTerminator();
  if (T->getNumSuccessors() == 1)
    return T;
  BasicBlock *Mid = SplitCriticalEdge(
      E.first, E.second,
      CriticalEdgeSplittingOptions(&DT).setMergeIdenticalEdges());
  assert(Mid && "a br/switch edge into a non-pad join splits");
  return Mid->getTerminator();
}

// Where the fallback (no region) restores d: exits reachable from the push,
// where only pushed paths pass: before the terminator of an exit the push
// dominates, else on the edges into the exit from the pushed side. d is
// then loaded at the push. If some exit allows neither, AtEntry: d is loaded
// at entry and every reachable exit restores (harmless where the push did
// not run: the depth is d there anyway).
void ShadowFrame::collectFallbackExits(SmallVectorImpl<Instruction *> &Exits,
                                       bool &AtEntry) {
  SmallVector<Instruction *, 8> PushedOnly;
  SmallVector<Edge, 8> Edges;
  AtEntry = false;
  for (BasicBlock &BB : F) {
    Instruction *T = BB.getTerminator();
    if (!Reachable.count(&BB) || !(isa<ReturnInst>(T) || isa<ResumeInst>(T)))
      continue;
    // A musttail call must stay right before its ret: restore first. Not on
    // the edges into its block: such an exit is rare (the musttail call
    // itself usually stores a slot, so the push dominates it), keep the
    // restore next to the call.
    CallInst *MT = BB.getTerminatingMustTailCall();
    Instruction *At = MT ? MT : T;
    Exits.push_back(At);
    if (DT.dominates(Push, &BB))
      PushedOnly.push_back(At);
    else if (MT || !collectPushedEdges(BB, Edges))
      AtEntry = true;
  }
  if (!AtEntry) {
    // Only now: splitting an edge changes the CFG the queries above saw.
    for (const Edge &E : Edges)
      PushedOnly.push_back(restorePointOn(E));
    Exits.assign(PushedOnly.begin(), PushedOnly.end());
  }
  TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName() << "': "
                  << (AtEntry ? "depth loaded at entry, restored at every "
                                "exit reachable from the push"
                              : "depth restored on the pushed paths only")
                  << " (" << Exits.size() << " restore(s))\n");
}

void ShadowFrame::emit(const ShadowStackGlobals &G,
                       ArrayRef<std::pair<CallBase *, Constant *>> SlotStores,
                       ArrayRef<CallBase *> Reentries) {
  // The record: a static alloca, first in the entry block (one for all the
  // pushes of a split frame: their regions never overlap).
  BasicBlock &Entry = F.getEntryBlock();
  IRBuilder<> AB(&Entry, Entry.begin());
  AB.SetCurrentDebugLocation(DebugLoc());
  AllocaInst *Rec = AB.CreateAlloca(G.RecordTy, nullptr, "tm.rec");
  Rec->setAlignment(F.getParent()->getDataLayout().getPointerABIAlignment(0));
  if (Parts.empty()) {
    emitRegion(G, Rec, SlotStores, Reentries);
    return;
  }
  // A split frame: each push with its region and the stores of its calls,
  // one after the other (splitting one region's exit edges leaves the
  // others' blocks and edges as they were: the regions share no block).
  for (const Part &Pt : Parts) {
    Push = Pt.Push;
    Reachable = Pt.Reachable;
    Region = Pt.Region;
    RegionExits.assign(Pt.RegionExits.begin(), Pt.RegionExits.end());
    SmallVector<std::pair<CallBase *, Constant *>, 8> Mine;
    for (const auto &CS : SlotStores)
      if (Region.count(CS.first->getParent()))
        Mine.push_back(CS);
    SmallVector<CallBase *, 8> MyReentries;
    for (CallBase *CB : Reentries)
      if (Region.count(CB->getParent()))
        MyReentries.push_back(CB);
    emitRegion(G, Rec, Mine, MyReentries);
  }
}

// __tm_shadow_top = &rec where control comes back from CB: after a call,
// at the start of an invoke's normal destination (its edge split when the
// destination has other predecessors). None after a call that does not
// return, nor after a musttail call (only its ret may follow it, and the
// frame is popped before it).
void ShadowFrame::emitReentry(const ShadowStackGlobals &G, Value *RecP,
                              CallBase *CB) {
  if (CB->doesNotReturn())
    return;
  Instruction *At = nullptr;
  if (auto *CI = dyn_cast<CallInst>(CB)) {
    if (CI->isMustTailCall())
      return;
    At = CI->getNextNode();
  } else if (auto *II = dyn_cast<InvokeInst>(CB)) {
    BasicBlock *Normal = II->getNormalDest();
    if (!Normal->getSinglePredecessor())
      Normal = SplitEdge(II->getParent(), Normal, &DT);
    At = &*Normal->getFirstInsertionPt();
  } else {
    return; // callbr: its destinations are asm labels, not a return
  }
  const Align PtrAlign(
      F.getParent()->getDataLayout().getPointerABIAlignment(0));
  IRBuilder<> B(At);
  B.SetCurrentDebugLocation(DebugLoc());
  B.CreateAlignedStore(RecP, G.Top, PtrAlign);
}

void ShadowFrame::emitRegion(
    const ShadowStackGlobals &G, Value *Rec,
    ArrayRef<std::pair<CallBase *, Constant *>> SlotStores,
    ArrayRef<CallBase *> Reentries) {
  SmallVector<Instruction *, 8> Exits;
  bool AtEntry = false;
  if (!Region.empty()) {
    // Pop on the way out of the region: at its rets (before a musttail
    // call, which must stay right before its ret) and on its exit edges.
    for (BasicBlock &BB : F) {
      Instruction *T = BB.getTerminator();
      if (!Region.count(&BB) || !(isa<ReturnInst>(T) || isa<ResumeInst>(T)))
        continue;
      CallInst *MT = BB.getTerminatingMustTailCall();
      Exits.push_back(MT ? MT : T);
    }
    for (const Edge &E : RegionExits)
      Exits.push_back(restorePointOn(E));
  } else {
    collectFallbackExits(Exits, AtEntry);
  }
  // The callee of a call in the frame may read the record (the runtime
  // does): a `tail` marker would tell alias analysis it cannot, and let a
  // site store before it be dropped.
  for (BasicBlock &BB : F) {
    if (Region.empty() ? !DT.dominates(Push, &BB) : !Region.count(&BB))
      continue;
    for (Instruction &I : BB)
      if (auto *CI = dyn_cast<CallInst>(&I))
        if (CI->getTailCallKind() == CallInst::TCK_Tail)
          CI->setTailCallKind(CallInst::TCK_None);
  }
  const Align PtrAlign(
      F.getParent()->getDataLayout().getPointerABIAlignment(0));
  // &rec as the word's type (a bitcast with typed pointers, LLVM < 15's
  // default; nothing with opaque ones), next to the alloca.
  Value *RecP = Rec;
  if (Rec->getType() != G.PtrTy) {
    auto *A = cast<AllocaInst>(Rec);
    RecP =
        IRBuilder<>(A->getNextNode()).CreatePointerCast(A, G.PtrTy, "tm.recp");
  }
  BasicBlock &LoadBB = AtEntry ? F.getEntryBlock() : *Push;
  IRBuilder<> B(&LoadBB, pushPoint(LoadBB));
  // No source line: the push is prologue, not the first statement.
  B.SetCurrentDebugLocation(DebugLoc());
  Value *PrevPtr =
      B.CreateStructGEP(G.RecordTy, Rec, RecordPrevField, "tm.prevp");
  Value *Prev = B.CreateAlignedLoad(G.PtrTy, G.Top, PtrAlign, "tm.prev");
  B.CreateAlignedStore(Prev, PrevPtr, PtrAlign);
  if (&LoadBB != Push) {
    B.SetInsertPoint(Push, pushPoint(*Push));
    B.SetCurrentDebugLocation(DebugLoc());
  }
  Value *SitePtr =
      B.CreateStructGEP(G.RecordTy, Rec, RecordSiteField, "tm.sitep");
  // One storing call: its site is stored once, at the push. The record is
  // this frame's alone, so the value survives every call; a loop around
  // the call - a recursion -O2 turned into one - then does not store on
  // each iteration.
  assert(!SlotStores.empty() && "a frame with no call to store a site for");
  if (SlotStores.size() == 1) {
    TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName()
                    << "': one storing call: its site is stored once, at "
                       "the push\n");
    B.CreateAlignedStore(SlotStores.front().second, SitePtr, PtrAlign);
  }
  // Published whole: a signal handler's capture sees the record with its
  // prev (and its site, with one storing call) or not at all.
  B.CreateAlignedStore(RecP, G.Top, PtrAlign)
      ->setAtomic(AtomicOrdering::Release);
  if (SlotStores.size() > 1) {
    SmallDenseMap<const CallBase *, Constant *, 16> SiteOf;
    for (const auto &CS : SlotStores)
      SiteOf[CS.first] = CS.second;
    const DataLayout &DL = F.getParent()->getDataLayout();
    for (const auto &CS : SlotStores) {
      IRBuilder<> At(CS.first);
      // After a call whose site this frame stored on every path here, the
      // next site is that one plus a constant: `rec.site += delta`, one
      // read-modify-write (x86: `addq $delta, site(%rsp)`) instead of
      // materialising the address and storing it (two instructions). A
      // tag the runtime set meanwhile stays: the memo compares the site
      // itself too (runtime/core/shadow_gather.c, "Memo"). The frame's
      // first store is always a whole, untagged one.
      std::optional<int64_t> Delta;
      if (const CallBase *P = previousSlotCall(*CS.first, SiteOf))
        Delta = siteDelta(DL, SiteOf.lookup(P), CS.second);
      if (!Delta) {
        At.CreateAlignedStore(CS.second, SitePtr, PtrAlign);
        continue;
      }
      if (*Delta == 0) // the same site (one line, one column): nothing to do
        continue;
      Value *Old = At.CreateAlignedLoad(G.PtrTy, SitePtr, PtrAlign, "tm.site");
      Value *New = At.CreateGEP(At.getInt8Ty(), Old, At.getInt64(*Delta),
                                "tm.site.next");
      At.CreateAlignedStore(New, SitePtr, PtrAlign);
      ++NumSiteDeltas;
    }
  }
  // Pads before exits: a cleanup pad ending in `resume` gets &rec, then
  // rec.prev.
  for (Instruction *I : Pads)
    IRBuilder<>(I).CreateAlignedStore(RecP, G.Top, PtrAlign);
  for (Instruction *I : Twice)
    IRBuilder<>(I->getNextNode()).CreateAlignedStore(RecP, G.Top, PtrAlign);
  for (Instruction *I : Exits) {
    IRBuilder<> At(I);
    At.CreateAlignedStore(
        At.CreateAlignedLoad(G.PtrTy, PrevPtr, PtrAlign, "tm.prev.back"), G.Top,
        PtrAlign);
  }
  for (CallBase *CB : Reentries)
    emitReentry(G, RecP, CB);
  TM_DEBUG(dbgs() << "tm-instrument: '" << F.getName() << "': " << Exits.size()
                  << " pop(s), " << Pads.size() << " landing pad(s), "
                  << Twice.size() << " returns_twice call(s) and "
                  << Reentries.size()
                  << " call(s) into uninstrumented code set the top back to "
                     "the own record\n");
}

} // namespace tmpass
