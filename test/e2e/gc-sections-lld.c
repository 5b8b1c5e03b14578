// gc-sections.c linked with lld (whose --gc-sections also drops sections
// referenced only through __start_/__stop_: ours are referenced by code).
// REQUIRES: runtime, lld
// RUN: %clang_tm -O2 -ffunction-sections -fdata-sections -fuse-ld=lld -Wl,--gc-sections %S/gc-sections.c %S/Inputs/lto-other.c -o %t && %t | FileCheck %S/gc-sections.c
