// The plugin also given to the linker (lld --load-pass-plugin, LLVM >= 15):
// the ThinLTO backends run OptimizerLast again on already instrumented
// bitcode, which must change nothing (per-function "tm-instrumented").
// REQUIRES: runtime, lld-pass-plugin
// RUN: %clang_tm -O2 -flto=thin -fuse-ld=lld -Wl,--load-pass-plugin=%tm_plugin %S/lto.c %S/Inputs/lto-other.c -o %t-thin && %t-thin | FileCheck %S/lto.c
// RUN: %clang_tm -O2 -flto -fuse-ld=lld -Wl,--load-pass-plugin=%tm_plugin %S/lto.c %S/Inputs/lto-other.c -o %t-full && %t-full | FileCheck %S/lto.c
