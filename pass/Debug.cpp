// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- Debug.cpp - names and locations for the decision trace
//---------------===//
#include "Debug.h"

#include "llvm/IR/BasicBlock.h"
#include "llvm/IR/DebugLoc.h"
#include "llvm/IR/Instruction.h"

using namespace llvm;

namespace tmpass {

std::string blockName(const BasicBlock *BB) {
  std::string S;
  raw_string_ostream OS(S);
  // -O2 code has unnamed blocks: printAsOperand numbers them as the IR
  // printer does, so the trace matches `opt -S` output.
  BB->printAsOperand(OS, /*PrintType=*/false);
  return OS.str();
}

std::string locationOf(const Instruction &I) {
  const DebugLoc &DL = I.getDebugLoc();
  if (!DL)
    return "<no location>";
  std::string S;
  raw_string_ostream OS(S);
  DL.print(OS);
  return OS.str();
}

} // namespace tmpass
