; Frame placement: the push goes to the nearest common dominator of the calls
; that store a slot (and pads, returns_twice calls), never inside a cycle;
; paths without such calls touch no TLS; the frame is popped on the edges out
; of its region (the blocks from which such a call is still reachable); hook
; sites are flagged OWN_FRAME exactly when the frame is pushed at them.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t
; RUN: FileCheck %s < %t
; RUN: FileCheck %s --check-prefix=TABLE < %t
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%node = type { %node*, %node*, i64 }
declare i8* @malloc(i64)
declare void @ext()
declare i32 @__gxx_personality_v0(...)

; Tree walk: the null check returns before any call, without TLS access.
; CHECK-LABEL: define i64 @walk(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: %null = icmp eq
; CHECK-NEXT: br i1 %null, label %leaf, label %rec
; CHECK: leaf:
; CHECK-NEXT: ret i64 0
; CHECK: rec:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret i64 %s
define i64 @walk(%node* %t) {
entry:
  %null = icmp eq %node* %t, null
  br i1 %null, label %leaf, label %rec
leaf:
  ret i64 0
rec:
  call void @ext()
  %lp = getelementptr %node, %node* %t, i32 0, i32 0
  %l = load %node*, %node** %lp
  %a = call i64 @walk(%node* %l)
  %s = add i64 %a, 1
  ret i64 %s
}

; A call in a loop: the push is hoisted out of the cycle, to the entry.
; CHECK-LABEL: define void @loop(
; CHECK-NEXT: entry:
; CHECK: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: body:
; CHECK-NOT: @__tm_shadow
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK: exit:
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
define void @loop(i32 %n) {
entry:
  br label %body
body:
  %i = phi i32 [ 0, %entry ], [ %j, %body ]
  call void @ext()
  %j = add i32 %i, 1
  %c = icmp slt i32 %j, %n
  br i1 %c, label %body, label %exit
exit:
  ret void
}

; fib with an allocation at the leaves: the allocating leaf branch and the
; recursive branch are disjoint, so the leaf's hook runs without a frame
; (no OWN_FRAME) and the leaves touch no TLS.
; CHECK-LABEL: define i64 @fib(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: %small = icmp
; CHECK: leaf:
; CHECK-NEXT: call {{i8\*|ptr}} @__tm_malloc(
; CHECK-NEXT: ret i64
; CHECK: rec:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
define i64 @fib(i64 %n) {
entry:
  %small = icmp slt i64 %n, 2
  br i1 %small, label %leaf, label %rec
leaf:
  %p = call i8* @malloc(i64 16)
  ret i64 %n
rec:
  %a = sub i64 %n, 1
  %fa = call i64 @fib(i64 %a)
  %b = sub i64 %n, 2
  %fb = call i64 @fib(i64 %b)
  %s = add i64 %fa, %fb
  ret i64 %s
}
; fib's leaf hook has no OWN_FRAME: without debug info it shares the row of
; the recursive call sites (flags 2 = NO_DEBUG). The only OWN_FRAME site of
; the module is @merge_invoke's (below).

; A hook after the merge of a branch with a call: the frame is popped at the
; end of `then`, so the hook runs without it on both paths (no OWN_FRAME),
; and the path through entry alone touches no TLS.
; CHECK-LABEL: define {{i8\*|ptr}} @merge(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: br i1 %c, label %then, label %join
; CHECK: then:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %join
; CHECK: join:
; CHECK-NEXT: %p = call {{.*}}@__tm_malloc(i64 8, {{.*}}@__tm_sites
; CHECK-NEXT: ret
define i8* @merge(i1 %c) {
entry:
  br i1 %c, label %then, label %join
then:
  call void @ext()
  br label %join
join:
  %p = call i8* @malloc(i64 8)
  ret i8* %p
}

; The same with an invoke: its normal edge out of the region cannot take a
; store, so the fallback applies: the push is hoisted to dominate the hook
; (flag OWN_FRAME = 1|2) and the exits restore.
; CHECK-LABEL: define {{i8\*|ptr}} @merge_invoke(
; CHECK-NEXT: entry:
; CHECK: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: store atomic
; CHECK-NEXT: br i1 %c
; CHECK: then:
; CHECK-NEXT: invoke void @ext()
; CHECK: join:
; CHECK-NEXT: %p = call {{.*}}@__tm_sites
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret
define i8* @merge_invoke(i1 %c) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
  br i1 %c, label %then, label %join
then:
  invoke void @ext() to label %join unwind label %lp
join:
  %p = call i8* @malloc(i64 8)
  ret i8* %p
lp:
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}
; TABLE: @__tm_sites{{.*}} = private constant [2 x {{.*}}] [{{.*}}, i32 0, i32 0, i32 3, i32 0 }, {{.*}}, i32 0, i32 0, i32 2, i32 0 }]
; TABLE-NOT: i32 0, i32 0, i32 3, i32 0

; An exit reached from the push block without being dominated by it: d is
; loaded at the push and restored on the edge from it (the end of `then`,
; whose only successor is the exit); the path that never pushed touches no
; TLS (test/pass/shrink-wrap-exit.ll has more shapes).
; CHECK-LABEL: define void @partial(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: br i1 %c
; CHECK: then:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %join
; CHECK: join:
; CHECK-NEXT: ret void
define void @partial(i1 %c) {
entry:
  br i1 %c, label %then, label %join
then:
  call void @ext()
  br label %join
join:
  ret void
}

; -O0's loop shape (condition in the header, the call in the body): the push
; goes before the loop, never into a block of the cycle (only the external
; call's re-installation of the record, a plain store, is in it).
; CHECK-LABEL: define void @o0_loop(
; CHECK: entry:
; CHECK: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: for.cond:
; CHECK-NOT: load {{.*}}@__tm_shadow_top
; CHECK-NOT: @__tm_shadow_top release
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NOT: @__tm_shadow
; CHECK: for.end:
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret void
define void @o0_loop(i32 %n) {
entry:
  br label %for.cond
for.cond:
  %i = phi i32 [ 0, %entry ], [ %inc, %for.inc ]
  %c = icmp slt i32 %i, %n
  br i1 %c, label %for.body, label %for.end
for.body:
  call void @ext()
  br label %for.inc
for.inc:
  %inc = add i32 %i, 1
  br label %for.cond
for.end:
  ret void
}
