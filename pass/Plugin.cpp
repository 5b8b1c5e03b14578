// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- Plugin.cpp - registration of libtmpass.so
//----------------------------===//
//
//   clang -fpass-plugin=libtmpass.so ...        OptimizerLast, every -O level
//                                               (+ PipelineStart: tm_skip
//                                               functions made noinline)
//   opt -load-pass-plugin=libtmpass.so -passes=tm-instrument
//   opt ... -passes='tm-instrument<site-only>'
//   opt ... -passes=tm-mark-skips               (what PipelineStart runs)
//
//===----------------------------------------------------------------------===//
#include "Compat.h"
#include "Instrumenter.h"
#include "SkipAnnotations.h"

#include "llvm/Passes/PassBuilder.h"

using namespace llvm;

namespace {

void registerCallbacks(PassBuilder &PB) {
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "tm-instrument") {
          MPM.addPass(tmpass::TmInstrumentPass());
          return true;
        }
        if (Name == "tm-instrument<site-only>") {
          MPM.addPass(tmpass::TmInstrumentPass(/*ForceSiteOnly=*/true));
          return true;
        }
        if (Name == "tm-mark-skips") {
          MPM.addPass(tmpass::TmMarkSkipsPass());
          return true;
        }
        return false;
      });
  // annotate("tm_skip") functions must not be inlined before the pass sees
  // them (see SkipAnnotations.h).
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(tmpass::TmMarkSkipsPass());
      });
  // The generic tail accepts LLVM 20+'s extra ThinOrFullLTOPhase argument.
  PB.registerOptimizerLastEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel, auto &&...) {
        MPM.addPass(tmpass::TmInstrumentPass());
      });
}

} // namespace

// Built with -fvisibility=hidden: only the entry point is exported.
extern "C" LLVM_ATTRIBUTE_WEAK
    __attribute__((visibility("default"))) PassPluginLibraryInfo
    llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "tmpass", LLVM_VERSION_STRING,
          registerCallbacks};
}
