/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- SiteTable.h - constant site descriptors of one function ------------===//
//
// Each instrumented function gets ONE private constant array of
//   struct tm_site { ptr file, ptr function, ptr inlined_at,
//                    i32 line, i32 column, i32 flags, i32 reserved }
// (include/tracemalloc_abi.h), holding the sites of its rewritten allocation
// calls, of its slot-storing calls, and of the inlinedAt chains of both
// (inlined_at points to another element of the same array).
//
// Why per function: an inline or template function is emitted in every TU
// that uses it, in a comdat. Putting its sites in the same comdat (as
// SanitizerCoverage does with its per-function arrays) makes the linker keep
// exactly one copy, together with the code that points to it. The arrays sit
// in no named section: nothing enumerates them, so the only references are
// from code, and --gc-sections keeps a table exactly when its function is
// kept (GNU ld and lld alike).
//
// Use: add() every (location, flags) first, then finalize(), then
// address(index) or reference(index).
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_SITETABLE_H
#define TM_PASS_SITETABLE_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace llvm {
class Constant;
class DILocation;
class Function;
class GlobalVariable;
class Instruction;
class Module;
class StructType;
} // namespace llvm

namespace llvm {
class DIScope;
} // namespace llvm

namespace tmpass {

class FrameFolding;

// The file of a debug-info scope as a site records it: joined with its
// directory (or its compile unit's) when relative, made absolute, "." and
// ".." components and doubled '/' removed.
std::string sourcePathOf(const llvm::DIScope *S);

// Module-wide cache of the C strings the site tables point to.
class SiteStrings {
public:
  explicit SiteStrings(llvm::Module &M) : M(M) {}
  llvm::Constant *get(llvm::StringRef S);

private:
  llvm::Module &M;
  llvm::StringMap<llvm::Constant *> Cache;
};

class SiteTable {
public:
  // IRName names the function in sites without debug info: F's own name,
  // or, for the traced clone of a function (Instrumenter.cpp), the name of
  // the function it was cloned from.
  // Folding (may be null): drop the locations of folded files from every
  // inlinedAt chain (SystemHeaders.h). FunctionFolded: F itself is in a
  // folded file, so a call whose whole chain is folded has no site.
  SiteTable(llvm::Function &F, SiteStrings &Strings,
            llvm::StringRef IRName = "", FrameFolding *Folding = nullptr,
            bool FunctionFolded = false);

  // What add() returns for a call that has no site of its own (its whole
  // chain is folded, in a folded function): address() is a null pointer,
  // and the runtime attributes the call to the top shadow frame.
  static constexpr unsigned NoSite = ~0u;

  // Index of the site for the call I with the given TM_SITE_* flags, or
  // NoSite.
  unsigned add(const llvm::Instruction &I, unsigned Flags);

  // Build the array (in F's comdat, if any). Call once, after every add().
  void finalize();

  // `const struct tm_site *` constant for an index (i8* on typed LLVM 14).
  llvm::Constant *address(unsigned Index) const;

  // A private constant holding address(Index), for a hook call that loads
  // its site instead of materialising it (see Instrumenter.cpp, hooks on a
  // cycle). One per index, in F's comdat like the array.
  llvm::GlobalVariable *reference(unsigned Index);

  size_t size() const { return Rows.size(); }

private:
  struct Row {
    std::string File, Function;
    int InlinedAt; // index, or -1
    unsigned Line, Column, Flags;
  };
  unsigned addLocation(const llvm::DILocation *L, unsigned Flags);
  unsigned addNoLocation(unsigned Flags);

  llvm::Function &F;
  std::string IRName;
  SiteStrings &Strings;
  llvm::SmallVector<Row, 16> Rows;
  llvm::DenseMap<std::pair<const llvm::DILocation *, unsigned>, unsigned> Index;
  llvm::StructType *SiteTy;
  FrameFolding *Folding;
  bool FunctionFolded;
  bool Finalized = false;
  llvm::GlobalVariable *Array = nullptr;
  llvm::DenseMap<unsigned, llvm::GlobalVariable *> References;
};

} // namespace tmpass

#endif // TM_PASS_SITETABLE_H
