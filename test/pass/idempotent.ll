; Running the pass twice (fat LTO, ThinLTO backends with the plugin given to
; the linker) changes nothing the second time: every processed function
; carries "tm-instrumented", the constructor exists once.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -S < %s -o %t1.ll
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S < %t1.ll -o %t2.ll
; RUN: diff %t1.ll %t2.ll
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @ext()

; CHECK: @llvm.global_ctors = appending global [1 x
; CHECK-LABEL: define {{i8\*|ptr}} @f(
; CHECK: load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NOT: load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call {{i8\*|ptr}} @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
; CHECK-NOT: @__tm___tm_malloc
; CHECK: ret
define i8* @f(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}
; CHECK: attributes #{{[0-9]+}} = { "tm-instrumented" }
