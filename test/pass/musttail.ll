; A musttail call must stay right before its ret: the previous top is
; restored before the call (after its site store, if it has one).
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @target(i64)
declare void @ext()

; CHECK-LABEL: define {{i8\*|ptr}} @tc(
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call void @ext()
; The musttail call's site is @ext's (no debug info: the function has one
; site), which the record holds already: it stores none.
; CHECK-NOT: %tm.sitep
; CHECK: %[[B:tm.prev.back[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %[[B]], {{.*}}@__tm_shadow_top
; CHECK-NEXT: %r = musttail call {{i8\*|ptr}} @target(i64 %n)
; CHECK-NEXT: ret {{i8\*|ptr}} %r
define i8* @tc(i64 %n) {
  call void @ext()
  %r = musttail call i8* @target(i64 %n)
  ret i8* %r
}
