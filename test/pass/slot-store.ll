; The frame code itself (TM_PASS_UNTRACED_COPY=0: one body that always pushes;
; untraced-copy.ll checks the untraced entry and the traced copy).
; Where a frame's slot is stored. With one call that stores a slot, its site
; is stored once, at the push: the slot is the frame's alone, so the value
; survives every call, and a loop around the call (a recursion -O2 turned
; into a loop) neither stores on each iteration nor keeps the slot live.
; With two or more, each call stores its own site right before it, or adds
; the distance from the site the record holds (site-delta.ll).
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@trigger = global i32 -1
@sink = global i8* null
declare i8* @malloc(i64)
declare void @ext()

; bench/pass's fib_alloc at -O2: one recursive call, in a loop.
; CHECK-LABEL: define i64 @fib(
; CHECK: %tm.sitep = getelementptr
; CHECK-NEXT: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK: loop:
; CHECK-NOT: %tm.sitep
; CHECK: call i64 @fib(
; CHECK-NOT: %tm.sitep
; CHECK: ret i64
define i64 @fib(i32 %n) {
entry:
  %small = icmp slt i32 %n, 2
  br i1 %small, label %base, label %loop
loop:
  %k = phi i32 [ %n, %entry ], [ %k2, %loop ]
  %acc = phi i64 [ 0, %entry ], [ %acc2, %loop ]
  %k1 = sub i32 %k, 1
  %f = call i64 @fib(i32 %k1)
  %acc2 = add i64 %acc, %f
  %k2 = sub i32 %k, 2
  %more = icmp sgt i32 %k2, 1
  br i1 %more, label %loop, label %base
base:
  %m = phi i32 [ %n, %entry ], [ %k2, %loop ]
  %r = phi i64 [ 0, %entry ], [ %acc2, %loop ]
  %t = load volatile i32, i32* @trigger
  %hit = icmp eq i32 %m, %t
  br i1 %hit, label %alloc, label %done
alloc:
  %p = call i8* @malloc(i64 16)
  store volatile i8* %p, i8** @sink
  br label %done
done:
  %m64 = sext i32 %m to i64
  %res = add i64 %r, %m64
  ret i64 %res
}

; Two storing calls: a store right before the first, with its site. The
; second call's site is the same one (no debug info: both are the function's
; line 0), and the record already holds it: nothing is stored (site-delta.ll
; checks two different sites). The external call re-installs the record
; when it comes back (a longjmp to a setjmp in uninstrumented code returns
; through it); the call to @two, instrumented here, does not.
; CHECK-LABEL: define void @two(
; CHECK: %tm.sitep = getelementptr
; CHECK-NEXT: store atomic {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top release
; CHECK-NEXT: store {{i8\*|ptr}} [[S1:.*]], {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: call void @two()
; CHECK-NEXT: %tm.prev.back = load
define void @two() {
  call void @ext()
  call void @two()
  ret void
}
