// From LLVM 22 clang loads pass plugins before parsing -mllvm, so the pass's
// flags work with -fpass-plugin alone (older versions need -Xclang -load, or
// the TM_PASS_* environment variables: pipeline.c).
// REQUIRES: llvm-22
// RUN: %clang -fpass-plugin=%tm_plugin -mllvm -tm-site-only -O2 -S -emit-llvm %S/pipeline.c -o - | FileCheck %S/pipeline.c --check-prefix=SITE
