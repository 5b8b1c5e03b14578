//===- ShadowStack.h - push/pop of one function's shadow frame ------------===//
//
// Emits, per include/tracemalloc_abi.h §2:
//   push:             d = __tm_shadow.depth; own = d + 1;
//                     __tm_shadow.depth = own;
//                     slot = &__tm_shadow.frames[own & TM_SHADOW_RING_MASK];
//   before a call:    *slot = site   (relaxed atomic; once at the push when
//                                     the function has one storing call);
//   ret / resume:     __tm_shadow.depth = d   (before a terminating musttail
//                                              call);
//   landing pads and after returns_twice calls: __tm_shadow.depth = own.
// __tm_shadow is an external initial-exec declaration of two words, so a
// dlopen'ed instrumented library never exhausts the static TLS block, and
// both words are reached from one thread-pointer offset.
//
// Placement (shrink-wrapping): the push goes to the nearest common dominator
// P of the calls that store a slot, the landing pads and the returns_twice
// calls, hoisted out of any cycle (into a preheader, split if need be) so
// that it runs at most once per invocation. Exits reachable from P restore d
// on the paths through P only: in the exit when P dominates it, else on its
// edges from blocks P dominates (split if need be); d is loaded at P. Paths
// that make no such call - the `if (!node) return 0;` of a tree walk, even
// when -O2 merges its ret with the recursion's - pay nothing. If an exit has
// a predecessor that may or may not follow P (or an edge that cannot be
// split), d is loaded at entry instead and every exit reachable from P
// restores it (harmless where P did not run: the depth is d there anyway).
// A hook call gets TM_SITE_OWN_FRAME iff P dominates it; one that P may or
// may not precede is folded into the dominator computation, so the flag is
// always exact.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_SHADOWSTACK_H
#define TM_PASS_SHADOWSTACK_H

#include "llvm/ADT/ArrayRef.h"
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

// The shadow-stack TLS struct of a module (declared on first use).
struct ShadowStackGlobals {
  explicit ShadowStackGlobals(llvm::Module &M);
  llvm::GlobalVariable *Shadow;
  llvm::Type *ShadowTy; // { intptr, ptr }
  llvm::Type *IntPtrTy;
};

class ShadowFrame {
public:
  // Decides where the frame is pushed; emits nothing yet.
  ShadowFrame(llvm::Function &F, llvm::ArrayRef<llvm::CallBase *> SlotCalls,
              llvm::ArrayRef<llvm::CallBase *> HookCalls);

  // The frame is pushed whenever I runs (P dominates I).
  bool isPushedAt(const llvm::Instruction &I) const;

  // Push, slot stores (call, site) and every restore.
  void emit(const ShadowStackGlobals &G,
            llvm::ArrayRef<std::pair<llvm::CallBase *, llvm::Constant *>>
                SlotStores);

private:
  void collectRestorePoints();
  void computeReachable();
  llvm::BasicBlock *hoistOutOfCycle(llvm::BasicBlock *BB);
  using Edge = std::pair<llvm::BasicBlock *, llvm::BasicBlock *>;
  bool collectPushedEdges(llvm::BasicBlock &Exit,
                          llvm::SmallVectorImpl<Edge> &Edges) const;
  llvm::Instruction *restorePointOn(const Edge &E);

  llvm::Function &F;
  llvm::DominatorTree DT;
  llvm::BasicBlock *Push = nullptr;
  llvm::SmallPtrSet<const llvm::BasicBlock *, 32> Reachable; // from Push
  llvm::SmallVector<llvm::Instruction *, 8> Pads, Twice;
};

} // namespace tmpass

#endif // TM_PASS_SHADOWSTACK_H
