; A module that defines the shadow-stack TLS is the runtime itself (or links
; its sources): the pass leaves it alone.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@__tm_shadow_top = thread_local(initialexec) global i8* null
declare i8* @malloc(i64)
declare void @ext()

; CHECK-NOT: @__tm_malloc
; CHECK-NOT: tm.module_ctor
; CHECK-LABEL: define {{i8\*|ptr}} @f(
; CHECK: call void @ext()
; CHECK: call {{i8\*|ptr}} @malloc(i64 %n)
define i8* @f(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}
