/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- RuntimeABI.h - names and constants shared with the runtime ---------===//
//
// Everything the instrumented code references in libtracemalloc, spelled once.
// The authoritative contract is include/tracemalloc_abi.h; the list of
// functions to rewrite is include/tracemalloc_hooks.def, read here through
// the TM_HOOK X-macro so that the pass and the runtime can never disagree.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_RUNTIMEABI_H
#define TM_PASS_RUNTIMEABI_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace tmpass {

// Shadow-stack TLS (initial-exec, or local-exec with -tm-local-exec;
// defined by the runtime): the innermost frame record of the thread,
// struct tm_frame_record { prev, site } (include/tracemalloc_abi.h section 2).
constexpr char ShadowTopName[] = "__tm_shadow_top";
constexpr unsigned RecordPrevField = 0;
constexpr unsigned RecordSiteField = 1;
// The section of the site tables, whose bounds the module constructor
// registers (the linker defines __start_/__stop_ for it).
constexpr char SitesSectionName[] = "tm_sites";
constexpr char SitesStartName[] = "__start_tm_sites";
constexpr char SitesStopName[] = "__stop_tm_sites";

// The runtime's tracing flag (a byte, nonzero while tracing): the entry of
// a function with an untraced copy tests it (include/tracemalloc_abi.h
// section 2), and the suffix of the traced copy's name.
constexpr char TracingFlagName[] = "__tm_tracing_flag";
constexpr char TracedSuffix[] = ".tm_traced";
// The suffix of the untraced copy (F's own body; F is the dispatch).
constexpr char UntracedSuffix[] = ".tm_untraced";

// Module constructor: the name carries TM_ABI_VERSION, so a runtime of another
// ABI fails the link instead of misreading our site descriptors.
constexpr char ModuleInitName[] = "__tm_module_init_v4";
constexpr char ModuleFiniName[] = "__tm_module_fini_v4";
constexpr char ModuleCtorName[] = "tm.module_ctor";
constexpr char ModuleDtorName[] = "tm.module_dtor";
constexpr unsigned ModuleCtorPriority = 1; // as MemProf: before user ctors

// Prefix of every compiler-inserted entry point, and of the hook for NAME.
constexpr char HookPrefix[] = "__tm_";

// Per-function marker: present once the pass has processed the function.
// (Fat LTO and ThinLTO backends can run OptimizerLast twice on a module;
// full-LTO merging would lose module-level flags, so the marker is per
// function.)
constexpr char InstrumentedAttr[] = "tm-instrumented";

// Opt-out annotation: __attribute__((annotate("tm_skip"))).
constexpr char SkipAnnotation[] = "tm_skip";

// tm_site.flags (include/tracemalloc_abi.h).
constexpr unsigned SiteOwnFrame = 0x1;
constexpr unsigned SiteNoDebug = 0x2;

enum class HookKind { Alloc, Realloc, Free };

// One row of tracemalloc_hooks.def, reduced to what the pass checks: the
// callee's IR prototype must have NumParams parameters and return void iff
// ReturnsVoid, otherwise the call is left alone (a user function that merely
// shares a libc name).
struct HookInfo {
  llvm::StringRef Name;
  HookKind Kind;
  unsigned NumParams;
  bool ReturnsVoid;
};

// All rows of tracemalloc_hooks.def, in file order.
llvm::ArrayRef<HookInfo> hookTable();

// The row for a callee name, or null.
const HookInfo *findHook(llvm::StringRef CalleeName);

} // namespace tmpass

#endif // TM_PASS_RUNTIMEABI_H
