// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- SiteTable.cpp - per-function site arrays
//----------------------------===//
//
// File names: a DILocation's file is joined with its DIFile directory (or the
// compile unit's) when relative, made absolute, and normalised ("." and ".."
// components and doubled '/' removed), so "./inl.h" compiled in /src becomes
// "/src/inl.h" and "../x/./y.c" compiled in /src/b becomes "/src/x/y.c".
// Locations in folded files (SystemHeaders.h) are dropped from a site's
// inlinedAt chain. Function names are the demangled linkage name
// ("app::mk(int)", not "_ZN3app2mkEi" nor "mk"; see functionName). Without
// debug info the site is (module source file, line 0, demangled IR function
// name) flagged TM_SITE_NO_DEBUG.
//
//===----------------------------------------------------------------------===//
#include "SiteTable.h"

#include "Compat.h"
#include "RuntimeABI.h"
#include "SystemHeaders.h"

#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instruction.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace llvm;

namespace tmpass {
namespace {

std::string joinPath(StringRef Dir, StringRef File) {
  SmallString<256> P;
  if (File.empty())
    return "<unknown>";
  if (sys::path::is_absolute(File) || Dir.empty())
    P = File;
  else {
    P = Dir;
    sys::path::append(P, File);
  }
  // Still relative (-fdebug-compilation-dir=., or no directory at all): the
  // pass runs in the compiler's working directory, which is what the path
  // was relative to.
  if (!sys::path::is_absolute(P))
    sys::fs::make_absolute(P);
  // Lexically, as the compiler spelled it: "/usr/lib/gcc/x/12/../../../../
  // include/c++/12/vector" becomes "/usr/include/c++/12/vector", so that
  // filters and the system-header test see one spelling. remove_dots also
  // drops doubled separators.
  sys::path::remove_dots(P, /*remove_dot_dot=*/true);
  return std::string(P.str());
}

} // namespace

std::string sourcePathOf(const DIScope *S) {
  StringRef Dir = S->getDirectory();
  if (Dir.empty())
    if (const DISubprogram *SP = dyn_cast<DISubprogram>(S))
      if (const DICompileUnit *CU = SP->getUnit())
        Dir = CU->getDirectory();
  return joinPath(Dir, S->getFilename());
}

namespace {

// A C++ (or Rust, D, MSVC) symbol as c++filt shows it; anything else, and a
// name the demangler cannot read, unchanged.
std::string demangled(StringRef Name) { return llvm::demangle(Name.str()); }

// Prefer the linkage name, demangled ("app::Parser::parseValue(int)"): the
// DISubprogram name is unqualified ("parseValue"), which cannot tell two
// classes' methods apart. -gline-tables-only drops linkage names, except
// with -fdebug-info-for-profiling (tmcc adds both); without it, the
// function's own frames still get the qualified name from its (mangled) IR
// name, and only inlined frames keep the short one. C names are not
// mangled: they have no linkage name and stay as they are.
std::string functionName(const DISubprogram *SP, const DISubprogram *OwnSP,
                         StringRef IRName) {
  if (SP) {
    if (!SP->getLinkageName().empty())
      return demangled(SP->getLinkageName());
    if (SP == OwnSP && tm_compat::startsWith(IRName, "_Z"))
      return demangled(IRName);
    if (!SP->getName().empty())
      return SP->getName().str();
  }
  return demangled(IRName);
}

} // namespace

Constant *SiteStrings::get(StringRef S) {
  auto It = Cache.find(S);
  if (It != Cache.end())
    return It->second;
  LLVMContext &Ctx = M.getContext();
  Constant *Data = ConstantDataArray::getString(Ctx, S, /*AddNull=*/true);
  auto *GV = new GlobalVariable(M, Data->getType(), /*isConstant=*/true,
                                GlobalValue::PrivateLinkage, Data, "__tm_str");
  GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  GV->setAlignment(Align(1));
  Constant *P = ConstantExpr::getPointerCast(GV, tm_compat::getI8PtrTy(Ctx));
  Cache[S] = P;
  return P;
}

SiteTable::SiteTable(Function &F, SiteStrings &Strings, StringRef IRName,
                     FrameFolding *Folding, bool FunctionFolded)
    : F(F), IRName(IRName.empty() ? F.getName().str() : IRName.str()),
      Strings(Strings), Folding(Folding), FunctionFolded(FunctionFolded) {
  LLVMContext &Ctx = F.getContext();
  Type *P = tm_compat::getI8PtrTy(Ctx);
  Type *I32 = Type::getInt32Ty(Ctx);
  SiteTy = StructType::get(Ctx, {P, P, P, I32, I32, I32, I32});
}

unsigned SiteTable::add(const Instruction &I, unsigned Flags) {
  // The array is built from the rows once: a later row would be missing.
  assert(!Array && "SiteTable::add() after finalize()");
  assert(I.getFunction() == &F && "a site of another function");
  if (const DILocation *L = I.getDebugLoc().get()) {
    if (Folding) {
      const DILocation *U = Folding->firstUnfolded(L);
      if (!U) {
        // All of it is folded: in a folded function the call has no frame
        // of its own; elsewhere (a lexical block #included from a system
        // file) the function's own, outermost location is kept, because a
        // function with a frame must record one.
        if (FunctionFolded)
          return NoSite;
        while (L->getInlinedAt())
          L = L->getInlinedAt();
        return addLocation(L, Flags);
      }
      L = U;
    }
    return addLocation(L, Flags);
  }
  if (FunctionFolded)
    return NoSite;
  return addNoLocation(Flags);
}

unsigned SiteTable::addLocation(const DILocation *L, unsigned Flags) {
  auto Key = std::make_pair(L, Flags);
  auto It = Index.find(Key);
  if (It != Index.end())
    return It->second;
  int Parent = -1;
  const DILocation *IA = L->getInlinedAt();
  if (IA && Folding)
    IA = Folding->firstUnfolded(IA);
  if (IA)
    Parent = int(addLocation(IA, 0));
  const DILocalScope *Scope = L->getScope();
  Row R{sourcePathOf(Scope),
        functionName(Scope->getSubprogram(), F.getSubprogram(), IRName),
        Parent,
        L->getLine(),
        L->getColumn(),
        Flags};
  unsigned N = Rows.size();
  Rows.push_back(std::move(R));
  Index[Key] = N;
  return N;
}

unsigned SiteTable::addNoLocation(unsigned Flags) {
  const DISubprogram *SP = F.getSubprogram();
  if (!SP)
    Flags |= SiteNoDebug;
  auto Key = std::make_pair(static_cast<const DILocation *>(nullptr), Flags);
  auto It = Index.find(Key);
  if (It != Index.end())
    return It->second;
  std::string File;
  if (SP) {
    File = sourcePathOf(SP);
  } else {
    SmallString<256> P(F.getParent()->getSourceFileName());
    if (!P.empty())
      sys::fs::make_absolute(P);
    File = joinPath("", P);
  }
  unsigned N = Rows.size();
  Rows.push_back(Row{File, functionName(SP, SP, IRName), -1, 0, 0, Flags});
  Index[Key] = N;
  return N;
}

void SiteTable::finalize() {
  assert(!Array && !Finalized && "SiteTable::finalize() twice");
  Finalized = true;
  if (Rows.empty()) // every site was NoSite
    return;
  Module &M = *F.getParent();
  LLVMContext &Ctx = M.getContext();
  auto *ArrTy = ArrayType::get(SiteTy, Rows.size());
  Array =
      new GlobalVariable(M, ArrTy, /*isConstant=*/true,
                         GlobalValue::PrivateLinkage, nullptr, "__tm_sites");
  Array->setAlignment(Align(8));
  // One section for every site table of the image: the module constructor
  // registers its bounds, so a capture can check a site pointer read from
  // a frame record (include/tracemalloc_abi.h section 2). Sites are 40
  // bytes, aligned to 8: the tables follow one another with no padding.
  Array->setSection(SitesSectionName);
  if (Comdat *C = F.getComdat())
    Array->setComdat(C);
  Type *I32 = Type::getInt32Ty(Ctx);
  Constant *Null = ConstantPointerNull::get(tm_compat::getI8PtrTy(Ctx));
  SmallVector<Constant *, 16> Elems;
  for (const Row &R : Rows) {
    Constant *Parent = R.InlinedAt < 0 ? Null : address(R.InlinedAt);
    Elems.push_back(ConstantStruct::get(
        SiteTy, {Strings.get(R.File), Strings.get(R.Function), Parent,
                 ConstantInt::get(I32, R.Line), ConstantInt::get(I32, R.Column),
                 ConstantInt::get(I32, R.Flags), ConstantInt::get(I32, 0)}));
  }
  Array->setInitializer(ConstantArray::get(ArrTy, Elems));
}

Constant *SiteTable::address(unsigned I) const {
  assert(Finalized && "SiteTable::address() before finalize()");
  if (I == NoSite)
    return ConstantPointerNull::get(tm_compat::getI8PtrTy(F.getContext()));
  assert(I < Rows.size() && "no such site");
  LLVMContext &Ctx = F.getContext();
  Type *I32 = Type::getInt32Ty(Ctx);
  Constant *Idx[] = {ConstantInt::get(I32, 0), ConstantInt::get(I32, I)};
  Constant *GEP =
      ConstantExpr::getInBoundsGetElementPtr(Array->getValueType(), Array, Idx);
  return ConstantExpr::getPointerCast(GEP, tm_compat::getI8PtrTy(Ctx));
}

GlobalVariable *SiteTable::reference(unsigned I) {
  GlobalVariable *&Ref = References[I];
  if (!Ref) {
    Constant *Site = address(I);
    Ref = new GlobalVariable(*F.getParent(), Site->getType(),
                             /*isConstant=*/true, GlobalValue::PrivateLinkage,
                             Site, "__tm_site_ref");
    Ref->setAlignment(Align(8));
    if (Comdat *C = F.getComdat())
      Ref->setComdat(C);
  }
  return Ref;
}

} // namespace tmpass
