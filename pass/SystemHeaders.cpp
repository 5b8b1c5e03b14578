// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- SystemHeaders.cpp - which source files' frames are folded ----------===//
//
// The built-in system directories are those of the toolchains the pass runs
// with on Debian/Ubuntu-like systems: glibc and libstdc++ headers
// (/usr/include, /usr/include/c++/N, reached from clang as
// /usr/lib/gcc/<triple>/N/../../../../include/c++/N, normalised first), GCC's
// own headers (/usr/lib/gcc/<triple>/N/include), clang's resource headers
// (/usr/lib/llvm-N/lib/clang/N/include, or /usr/lib/clang/N/include) and
// libc++ (/usr/lib/llvm-N/include/c++/v1, /usr/include/c++/v1). Anything
// else clang treats as a system header comes from an -isystem, -idirafter
// or --sysroot option, which tmcc passes on (TM_PASS_SYSTEM_DIRS).
//
//===----------------------------------------------------------------------===//
#include "SystemHeaders.h"

#include "Options.h"
#include "RuntimeABI.h"
#include "ShadowStack.h"
#include "SiteTable.h"

#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/GlobPattern.h"

using namespace llvm;

namespace tmpass {
namespace {

// Globs over whole normalised paths (GlobPattern's '*' crosses '/').
const char *const BuiltinSystemDirs[] = {
    "/usr/include/*",
    "/usr/local/include/*",
    "/usr/lib/gcc/*",
    "/usr/lib/gcc-cross/*",
    "/usr/lib/clang/*",
    "/usr/lib/llvm-*/include/*",
    "/usr/lib/llvm-*/lib/clang/*",
};

// Path is Dir itself or below it (Dir has no trailing '/').
bool isUnder(StringRef Path, StringRef Dir) {
  return Path.size() > Dir.size() && Path.substr(0, Dir.size()) == Dir &&
         Path[Dir.size()] == '/';
}

} // namespace

ArrayRef<const char *> FrameFolding::builtinSystemDirs() {
  return BuiltinSystemDirs;
}

bool FrameFolding::enabled() const {
  return !Opts.SystemFrames || !Opts.SkipFiles.empty();
}

bool FrameFolding::isSystemPath(StringRef Path) const {
  for (const std::string &Dir : Opts.SystemDirs)
    if (isUnder(Path, Dir))
      return true;
  for (const char *Text : BuiltinSystemDirs) {
    Expected<GlobPattern> G = GlobPattern::create(Text);
    if (!G) {
      consumeError(G.takeError());
      continue;
    }
    if (G->match(Path))
      return true;
  }
  return false;
}

bool FrameFolding::isFolded(const DIScope *S) {
  if (!S || !enabled())
    return false;
  std::string Path = sourcePathOf(S);
  auto It = Cache.find(Path);
  if (It != Cache.end())
    return It->second;
  bool Folded = (!Opts.SystemFrames && isSystemPath(Path)) ||
                (!Opts.SkipFiles.empty() && Opts.isSkippedFile(Path));
  Cache[Path] = Folded;
  return Folded;
}

const DILocation *FrameFolding::firstUnfolded(const DILocation *L) {
  while (L && isFolded(L->getScope()))
    L = L->getInlinedAt();
  return L;
}

unsigned emitDepthRepair(Function &F, const ShadowStackGlobals &G) {
  SmallVector<Instruction *, 4> Points;
  for (BasicBlock &BB : F) {
    if (BB.isEHPad() && !isa<CatchSwitchInst>(BB.getTerminator()))
      Points.push_back(&*BB.getFirstInsertionPt());
    for (Instruction &I : BB)
      if (auto *CI = dyn_cast<CallInst>(&I))
        if (CI->hasFnAttr(Attribute::ReturnsTwice))
          Points.push_back(CI->getNextNode());
  }
  if (Points.empty())
    return 0;
  // After the static allocas: one left behind a load would be dynamic.
  BasicBlock &Entry = F.getEntryBlock();
  BasicBlock::iterator IP = Entry.getFirstInsertionPt();
  while (isa<AllocaInst>(*IP))
    ++IP;
  IRBuilder<> B(&Entry, IP);
  B.SetCurrentDebugLocation(DebugLoc());
  Value *Saved = B.CreateLoad(G.PtrTy, G.Top, "tm.top");
  for (Instruction *I : Points)
    IRBuilder<>(I).CreateStore(Saved, G.Top);
  return Points.size();
}

} // namespace tmpass
