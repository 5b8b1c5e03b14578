// -ffat-lto-objects runs OptimizerLast twice on the same module (once for
// the embedded bitcode, once for the object code): the second run must
// change nothing, or frames would be pushed twice.
// REQUIRES: runtime, fat-lto
// RUN: %clang %tm_cflags -O2 -flto=thin -ffat-lto-objects -c %S/lto.c -o %t-a.o
// RUN: %clang %tm_cflags -O2 -flto=thin -ffat-lto-objects -c %S/Inputs/lto-other.c -o %t-b.o
// RUN: %clang_tm %t-a.o %t-b.o -o %t && %t | FileCheck %S/lto.c
