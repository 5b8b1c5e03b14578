; After a returns_twice call (setjmp, vfork) the function's own record is the
; top again: a longjmp back skips the exits of the frames above.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.jmp = type { [25 x i64] }
@jb = global %struct.jmp zeroinitializer
declare i32 @_setjmp(%struct.jmp*) returns_twice
declare i32 @vfork() returns_twice
declare void @ext()

; CHECK-LABEL: define i32 @f(
; CHECK: store atomic {{i8\*|ptr}} %[[REC:tm.recp?]], {{.*}}@__tm_shadow_top release
; CHECK: %r = call i32 @_setjmp(
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC]], {{.*}}@__tm_shadow_top
; CHECK: call void @ext()
; CHECK: %pid = call i32 @vfork()
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC]], {{.*}}@__tm_shadow_top
; CHECK: %[[B:tm.prev.back[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %[[B]], {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret i32
define i32 @f() {
  %r = call i32 @_setjmp(%struct.jmp* @jb)
  call void @ext()
  %pid = call i32 @vfork()
  ret i32 %r
}
