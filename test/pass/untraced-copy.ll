; A function with a frame gets two private copies of its body: a traced
; copy (`.tm_traced`) that pushes the frame, and an untraced copy
; (`.tm_untraced`) that touches no shadow stack and whose hook sites are not
; OWN_FRAME. The function keeps its name and address and becomes the
; dispatch alone: it tests __tm_tracing_flag (one relaxed byte load) and
; tail-calls one copy or the other, so that neither path pays the other's
; callee-saved registers. Traced copies call each other directly. No copies
; for: functions that reach tm_start through functions defined here (they
; are entered before tracing starts), EH pads, returns_twice calls,
; variadic functions; or with -tm-untraced-copy=0.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t
; RUN: FileCheck %s < %t
; RUN: FileCheck %s --check-prefix=NAMES < %t
; RUN: %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -tm-untraced-copy=0 -S %s | FileCheck %s --check-prefix=OFF
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=OFF
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @ext()
declare i32 @tm_start(i32)

; Its address is the dispatch's.
@take = global i64 (i64)* @rec
; CHECK: @take = global {{.*}}@rec
; The untraced copy's site table (after the traced copy's): flags 2,
; NO_DEBUG alone, never OWN_FRAME.
; CHECK: @[[USITES:__tm_sites[.0-9]+]] = private constant [1 x {{.*}}, i32 0, i32 0, i32 2, i32 0 }], section "tm_sites", align 8
; In a non-PIC module (an executable): one RIP-relative compare.
; CHECK: @__tm_tracing_flag = external dso_local global i8

; The dispatch: nothing else is left in the function.
; CHECK-LABEL: define i64 @rec(i64 %n)
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.on = load atomic i8, {{.*}}@__tm_tracing_flag unordered, align 1
; CHECK-NEXT: %tm.tracing = icmp ne i8 %tm.on, 0
; CHECK-NEXT: br i1 %tm.tracing, label %tm.traced, label %tm.untraced, !prof
; CHECK-EMPTY:
; CHECK-NEXT: tm.traced:
; CHECK-NEXT: %[[R:.*]] = tail call i64 @rec.tm_traced(i64 %n)
; CHECK-NEXT: ret i64 %[[R]]
; CHECK-EMPTY:
; CHECK-NEXT: tm.untraced:
; CHECK-NEXT: %[[U:.*]] = tail call i64 @rec.tm_untraced(i64 %n)
; CHECK-NEXT: ret i64 %[[U]]
; CHECK-NEXT: }
; The untraced copy: the body, its hooks, no shadow stack; its calls go
; through the dispatch (tracing may start meanwhile).
; CHECK-LABEL: define private i64 @rec.tm_untraced(i64 %n) unnamed_addr
; CHECK-NOT: __tm_shadow
; CHECK: call {{.*}}@rec(
; CHECK-NOT: __tm_shadow
; CHECK: call {{.*}}@__tm_malloc(i64 8, {{.*}}@[[USITES]]{{[ ,)]}}
; CHECK-NOT: __tm_shadow
; CHECK: ret i64
; CHECK-NEXT: }
; CHECK-LABEL: define private i64 @rec.tm_traced(i64 %n) unnamed_addr
; CHECK-NOT: __tm_tracing_flag
; Two pushes (ShadowStack.h, "Split"): one on each path that calls.
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call i64 @rec.tm_traced(
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK: %tm.prev{{[0-9]+}} = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call {{.*}}@__tm_malloc(i64 8, {{.*}}@__tm_sites{{[ ,)]}}
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp{{[0-9]*}}
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK: ret i64
define i64 @rec(i64 %n) {
entry:
  %small = icmp slt i64 %n, 2
  br i1 %small, label %leaf, label %more

more:
  %m = sub i64 %n, 1
  %r = call i64 @rec(i64 %m)
  ret i64 %r

leaf:
  call void @ext()
  %p = call i8* @malloc(i64 8)
  ret i64 0
}
; Both tables name `rec`: the copy's sites name the function it was copied
; from (here, without debug info, by its IR name).
; NAMES-NOT: c"rec.tm_traced

; The static allocas go with the body, into both copies; the dispatch has
; none.
; CHECK-LABEL: define void @with_alloca()
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.on = load atomic i8
; CHECK: tail call void @with_alloca.tm_traced()
; CHECK-NEXT: ret void
; CHECK: tail call void @with_alloca.tm_untraced()
; CHECK-NEXT: ret void
; CHECK-LABEL: define private void @with_alloca.tm_untraced()
; CHECK-NEXT: entry:
; CHECK-NEXT: %buf = alloca [16 x i8]
; CHECK: %late = alloca i64
; CHECK-LABEL: define private void @with_alloca.tm_traced()
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: %buf = alloca [16 x i8]
define void @with_alloca() {
entry:
  %buf = alloca [16 x i8]
  %b0 = getelementptr [16 x i8], [16 x i8]* %buf, i64 0, i64 0
  store i8 0, i8* %b0
  %late = alloca i64
  call void @ext()
  ret void
}

; main reaches tm_start through a function defined here: neither gets a
; copy, so main's frame is on the stack when tracing starts.
; CHECK-LABEL: define internal void @start_tracing()
; CHECK-NOT: __tm_tracing_flag
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-LABEL: define i32 @main()
; CHECK-NOT: __tm_tracing_flag
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
define internal void @start_tracing() {
  %s = call i32 @tm_start(i32 25)
  ret void
}
define i32 @main() {
  call void @start_tracing()
  %r = call i64 @rec(i64 10)
  ret i32 0
}

; Variadic: the dispatch could not forward the arguments.
; CHECK-LABEL: define void @variadic(i32 %n, ...)
; CHECK-NOT: __tm_tracing_flag
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
define void @variadic(i32 %n, ...) {
  call void @ext()
  ret void
}

; CHECK-NOT: define {{.*}}tm_{{(un)?}}traced

; OFF-NOT: __tm_tracing_flag
; OFF-NOT: tm_{{(un)?}}traced
