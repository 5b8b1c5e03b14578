; After a returns_twice call (setjmp, vfork) the function's own depth (D+1)
; is stored again: a longjmp back skips the exits of the frames above.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.jmp = type { [25 x i64] }
@jb = global %struct.jmp zeroinitializer
declare i32 @_setjmp(%struct.jmp*) returns_twice
declare i32 @vfork() returns_twice
declare void @ext()

; CHECK-LABEL: define i32 @f(
; CHECK: %tm.own = add i64 %tm.depth, 1
; CHECK: %r = call i32 @_setjmp(
; CHECK-NEXT: store i64 %tm.own, {{.*}}@__tm_shadow{{.*}}
; CHECK: call void @ext()
; CHECK: %pid = call i32 @vfork()
; CHECK-NEXT: store i64 %tm.own, {{.*}}@__tm_shadow{{.*}}
; CHECK: store i64 %tm.depth, {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: ret i32
define i32 @f() {
  %r = call i32 @_setjmp(%struct.jmp* @jb)
  call void @ext()
  %pid = call i32 @vfork()
  ret i32 %r
}
