// clang -fpass-plugin runs the pass at OptimizerLast at every -O level, for C
// and C++, in full and thin LTO pre-link compiles, and reads its flags with
// -Xclang -load (needed for -mllvm before LLVM 22) or the environment.
// RUN: %clang -fpass-plugin=%tm_plugin -O0 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -O1 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -O2 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -O3 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -Os -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -Oz -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clangxx -x c++ -fpass-plugin=%tm_plugin -O0 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clangxx -x c++ -fpass-plugin=%tm_plugin -O2 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fno-builtin -fpass-plugin=%tm_plugin -O2 -S -emit-llvm %s -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -O2 -flto -c %s -o %t.full.bc
// RUN: llvm-dis %t.full.bc -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -O2 -flto=thin -c %s -o %t.thin.bc
// RUN: llvm-dis %t.thin.bc -o - | FileCheck %s
// RUN: %clang -fpass-plugin=%tm_plugin -Xclang -load -Xclang %tm_plugin -mllvm -tm-site-only -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=SITE
// RUN: env TM_PASS_SITE_ONLY=1 %clang -fpass-plugin=%tm_plugin -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=SITE
// RUN: env TM_PASS_SKIP_FILES='*/pipeline.c' %clang -fpass-plugin=%tm_plugin -O2 -S -emit-llvm %s -o - | FileCheck %s --check-prefix=SKIP
#ifdef __cplusplus
extern "C" {
#endif
void *malloc(unsigned long);
void sink(void *);
void ext(void);

// CHECK-LABEL: define {{.*}}@get(
// CHECK: load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
// CHECK: call {{.*}}@__tm_malloc(
// SITE-LABEL: define {{.*}}@get(
// SITE-NOT: __tm_shadow
// SITE: call {{.*}}@__tm_malloc(
// SKIP-NOT: __tm_
__attribute__((noinline)) void *get(unsigned long n) {
  ext();
  void *p = malloc(n);
  sink(p);
  return p;
}
#ifdef __cplusplus
}
#endif
// CHECK: define linkonce_odr hidden void @tm.module_ctor()
