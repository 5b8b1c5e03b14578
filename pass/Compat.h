/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- Compat.h - every LLVM-version difference the pass depends on -------===//
//
// One source builds against LLVM 14, 15, 16, 19 and 22. Every #if on
// LLVM_VERSION_MAJOR lives here and nowhere else; the rest of the pass calls
// these helpers. Each entry names the version that changed and why we care.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_COMPAT_H
#define TM_PASS_COMPAT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/Attributes.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Type.h"

// LLVM 22 moved PassPlugin.h to llvm/Plugins/ (and bumped the plugin API to 2;
// LLVM_PLUGIN_API_VERSION follows the header, so always use the macro).
#if LLVM_VERSION_MAJOR >= 22
#include "llvm/Plugins/PassPlugin.h"
#else
#include "llvm/Passes/PassPlugin.h"
#endif

namespace tm_compat {

// An `i8*` in typed-pointer modules (LLVM 14 and typed 15/16 contexts), `ptr`
// otherwise. PointerType::getUnqual(Ctx) would create an *opaque* pointer
// inside a typed module on 14, and Type::getInt8PtrTy is gone in 18.
inline llvm::PointerType *getI8PtrTy(llvm::LLVMContext &Ctx) {
#if LLVM_VERSION_MAJOR >= 17
  return llvm::PointerType::getUnqual(Ctx);
#else
  return llvm::Type::getInt8PtrTy(Ctx);
#endif
}

// A pointer to a value of type T: `T*` when typed, `ptr` when opaque.
inline llvm::PointerType *getPtrTo(llvm::Type *T) {
#if LLVM_VERSION_MAJOR >= 17
  return llvm::PointerType::getUnqual(T->getContext());
#else
  return llvm::PointerType::getUnqual(T); // opaque when the context is
#endif
}

// StringRef::startswith (<= 17) became starts_with (>= 18, old one removed).
inline bool startsWith(llvm::StringRef S, llvm::StringRef Prefix) {
  return S.substr(0, Prefix.size()) == Prefix;
}

// Presplit coroutines must not get a frame (CoroSplit would spill the saved
// depth into the coroutine frame); at OptimizerLast none should be left.
inline bool isPresplitCoroutine(const llvm::Function &F) {
  return F.isPresplitCoroutine();
}

// Drop every memory-effect attribute (readnone, readonly, argmemonly, ...):
// LLVM 16 folded them into one `memory(...)` attribute.
template <typename FunctionOrCall> void dropMemoryAttrs(FunctionOrCall &X) {
#if LLVM_VERSION_MAJOR >= 16
  X.removeFnAttr(llvm::Attribute::Memory);
#else
  for (llvm::Attribute::AttrKind K :
       {llvm::Attribute::ReadNone, llvm::Attribute::ReadOnly,
        llvm::Attribute::WriteOnly, llvm::Attribute::ArgMemOnly,
        llvm::Attribute::InaccessibleMemOnly,
        llvm::Attribute::InaccessibleMemOrArgMemOnly})
    X.removeFnAttr(K);
#endif
}

} // namespace tm_compat

// OptimizerLast / OptimizerEarly callbacks gained a ThinOrFullLTOPhase
// parameter in LLVM 20 with no compatibility overload; the generic lambda in
// Plugin.cpp (`auto &&...`) accepts both shapes, so nothing is needed here.

#endif // TM_PASS_COMPAT_H
