/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- ShadowStack.h - push/pop of one function's shadow frame ------------===//
//
// Emits, per include/tracemalloc_abi.h §2 (ABI v4), with rec an alloca
// { prev, site } in the entry block (one per function: the pushes of a
// split frame never overlap):
//   push:             rec.prev = __tm_shadow_top;
//                     rec.site = site     (when the function has one storing
//                                          call; else before each call)
//                     __tm_shadow_top = &rec   (release: the record is whole
//                                               before a handler can see it);
//   before a call:    rec.site = site;  or, after a call whose site the
//                     record holds on every path here (nearest before it on
//                     a chain of single-predecessor blocks, within the
//                     region), rec.site += site - that site: `addq $d, mem`,
//                     one instruction instead of two; nothing when d is 0;
//   ret / resume:     __tm_shadow_top = rec.prev  (before a terminating
//                                                  musttail call);
//   landing pads and after returns_twice calls: __tm_shadow_top = &rec;
//   after a call that stores a site and reaches code this module does not
//   instrument (an external or indirect callee, or one defined here but
//   skipped): __tm_shadow_top = &rec, as control may come back by a longjmp
//   to a setjmp in that code, which leaves the top at the dead records of
//   the frames the jump skipped (include/tracemalloc_abi.h section 2). A
//   callee instrumented here needs none: it pops to the prev it loaded,
//   which was &rec, and it re-installs its own record after its own such
//   calls.
// __tm_shadow_top is an external initial-exec declaration of one word (so a
// dlopen'ed instrumented library never exhausts the static TLS block), or
// local-exec with -tm-local-exec, which tmcc passes when the static runtime
// is linked into an executable. Nothing of the frame is kept in a register
// across a call: the previous top is reloaded from the record at the exits.
// Calls in a region lose their `tail` marker (the callee may read the
// record: the runtime does, through __tm_shadow_top).
//
// Placement (shrink-wrapping): the push goes to the nearest common dominator
// P of the calls that store a slot, the landing pads and the returns_twice
// calls, hoisted out of any cycle (into a preheader, split if need be) so
// that it runs at most once per invocation; d is loaded at P. The frame
// lives in the *region*: the blocks reachable from P from which one of those
// is reachable. It is popped (d restored) at the region's rets and on every
// edge out of it (split if need be), so paths that make no such call - the
// `if (!node) return 0;` of a tree walk, fib's base case that -O2 merged
// with the end of the recursion - and paths that are done with their calls
// run with no frame. A hook call gets TM_SITE_OWN_FRAME iff it is in the
// region, which is exactly when the frame is pushed.
//
// Split: when the blocks that need the frame lie under two or more
// different dominator-tree children of P (P itself needing none of them),
// each such group gets a push of its own at its own common dominator, with
// its own region, provided no group's push is on a cycle and the regions
// share no block: each region is entered only through its push and left
// through its pops, so a frame is never pushed twice. So a function whose
// leaf path makes a rare call (issue 15's tree: `if (depth == 0) { if (rare)
// keep(); return ...; }`) pushes on the leaf path only when it makes that
// call, and the leaves - half of all calls of a binary recursion - run with
// no frame. Not at -O0 (optnone: each push keeps its own stack slots), nor
// with landing pads or returns_twice calls (they set the depth back to the
// one frame's level).
//
// Fallback, when an edge out of the region cannot take a store (an invoke's
// or callbr's, or one into an EH pad): the frame lasts from P to the exits,
// P is also hoisted over hook calls it may or may not precede (so the flag
// stays exact: TM_SITE_OWN_FRAME iff P dominates the hook), and exits
// restore on the pushed paths only where that is possible, else d is loaded
// at entry and every exit reachable from P restores it.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_SHADOWSTACK_H
#define TM_PASS_SHADOWSTACK_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Dominators.h"

#include <utility>

namespace llvm {
class CallBase;
class Constant;
class Function;
class GlobalVariable;
class Module;
class Type;
class Value;
} // namespace llvm

namespace tmpass {

// The shadow-stack TLS word of a module (declared on first use).
struct ShadowStackGlobals {
  ShadowStackGlobals(llvm::Module &M, bool LocalExec);
  llvm::GlobalVariable *Top;
  llvm::Type *PtrTy;
  llvm::StructType *RecordTy; // { ptr, ptr }
};

class ShadowFrame {
public:
  // Decides where the frame is pushed; emits nothing yet.
  ShadowFrame(llvm::Function &F, llvm::ArrayRef<llvm::CallBase *> SlotCalls,
              llvm::ArrayRef<llvm::CallBase *> HookCalls);

  // The frame is pushed whenever I runs (P dominates I).
  bool isPushedAt(const llvm::Instruction &I) const;

  // Push, slot stores (call, site) and every restore; Reentries are the
  // calls (among the slot calls) after which the frame re-installs its
  // record.
  void
  emit(const ShadowStackGlobals &G,
       llvm::ArrayRef<std::pair<llvm::CallBase *, llvm::Constant *>> SlotStores,
       llvm::ArrayRef<llvm::CallBase *> Reentries);

private:
  // One push and its region (a split frame has several).
  struct Part {
    llvm::BasicBlock *Push;
    llvm::SmallPtrSet<const llvm::BasicBlock *, 32> Reachable, Region;
    llvm::SmallVector<std::pair<llvm::BasicBlock *, llvm::BasicBlock *>, 8>
        RegionExits;
  };
  bool trySplit(llvm::ArrayRef<llvm::BasicBlock *> Needing);
  void emitRegion(
      const ShadowStackGlobals &G, llvm::Value *Rec,
      llvm::ArrayRef<std::pair<llvm::CallBase *, llvm::Constant *>> SlotStores,
      llvm::ArrayRef<llvm::CallBase *> Reentries);
  void emitReentry(const ShadowStackGlobals &G, llvm::Value *RecP,
                   llvm::CallBase *CB);
  const llvm::CallBase *previousSlotCall(
      const llvm::CallBase &CB,
      const llvm::SmallDenseMap<const llvm::CallBase *, llvm::Constant *, 16>
          &Slots) const;
  void collectRestorePoints();
  void computeReachable();
  bool computeRegion(llvm::ArrayRef<llvm::BasicBlock *> Needing);
  void collectFallbackExits(llvm::SmallVectorImpl<llvm::Instruction *> &Exits,
                            bool &AtEntry);
  llvm::BasicBlock *hoistOutOfCycle(llvm::BasicBlock *BB);
  using Edge = std::pair<llvm::BasicBlock *, llvm::BasicBlock *>;
  bool collectPushedEdges(llvm::BasicBlock &Exit,
                          llvm::SmallVectorImpl<Edge> &Edges) const;
  llvm::Instruction *restorePointOn(const Edge &E);

  llvm::Function &F;
  llvm::DominatorTree DT;
  llvm::BasicBlock *Push = nullptr;
  llvm::SmallPtrSet<const llvm::BasicBlock *, 32> Reachable; // from Push
  // The frame's region, and the edges out of it; empty in the fallback.
  llvm::SmallPtrSet<const llvm::BasicBlock *, 32> Region;
  llvm::SmallVector<Edge, 8> RegionExits;
  llvm::SmallVector<llvm::Instruction *, 8> Pads, Twice;
  // A split frame's pushes (two or more); empty otherwise.
  llvm::SmallVector<Part, 2> Parts;
};

} // namespace tmpass

#endif // TM_PASS_SHADOWSTACK_H
