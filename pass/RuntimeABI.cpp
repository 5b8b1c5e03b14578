// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- RuntimeABI.cpp - the hook table, built from tracemalloc_hooks.def --===//
//
// The .def gives C prototypes; the pass only needs the arity and whether the
// function returns void, both derived from the macro arguments by
// stringizing them (a parenthesised ARGS list has one more name than commas).
//
//===----------------------------------------------------------------------===//
#include "RuntimeABI.h"

#include "llvm/ADT/StringMap.h"

#include "tracemalloc_abi.h"

#include <cstddef>

using namespace llvm;

namespace tmpass {
namespace {

// The constants RuntimeABI.h spells for the pass are the runtime's.
static_assert(offsetof(tm_frame_record, prev) == 0 && RecordPrevField == 0 &&
                  offsetof(tm_frame_record, site) == sizeof(void *) &&
                  RecordSiteField == 1 &&
                  sizeof(tm_frame_record) == 2 * sizeof(void *),
              "struct tm_frame_record layout");
static_assert(SiteOwnFrame == TM_SITE_OWN_FRAME &&
                  SiteNoDebug == TM_SITE_NO_DEBUG,
              "tm_site flags");
static_assert(ModuleInitName[sizeof(ModuleInitName) - 2] ==
                  '0' + TM_ABI_VERSION,
              "the module init name carries TM_ABI_VERSION");

constexpr unsigned countArgs(const char *Args) {
  // "(a, b, c)" -> 3, "()" -> 0.
  unsigned Commas = 0;
  bool Any = false;
  for (const char *P = Args; *P; ++P) {
    if (*P == ',')
      ++Commas;
    else if (*P != '(' && *P != ')' && *P != ' ')
      Any = true;
  }
  return Any ? Commas + 1 : 0;
}

#define TM_HOOK_ALLOC HookKind::Alloc
#define TM_HOOK_REALLOC HookKind::Realloc
#define TM_HOOK_FREE HookKind::Free
#define TM_HOOK(NAME, RET, PARAMS, ARGS, KIND)                                 \
  HookInfo{#NAME, KIND, countArgs(#ARGS), StringRef(#RET) == "void"},
const HookInfo Table[] = {
#include "tracemalloc_hooks.def"
};
#undef TM_HOOK
#undef TM_HOOK_ALLOC
#undef TM_HOOK_REALLOC
#undef TM_HOOK_FREE

} // namespace

ArrayRef<HookInfo> hookTable() { return Table; }

const HookInfo *findHook(StringRef CalleeName) {
  static const StringMap<const HookInfo *> ByName = [] {
    StringMap<const HookInfo *> M;
    for (const HookInfo &H : Table)
      M[H.Name] = &H;
    return M;
  }();
  auto It = ByName.find(CalleeName);
  return It == ByName.end() ? nullptr : It->second;
}

} // namespace tmpass
