; Restores at an exit shared by pushed and unpushed paths: the restore goes on
; the edges from the pushed side (a new block, or the end of a predecessor
; whose only successor is the exit) and d is loaded at the push, so the path
; that never pushed touches no TLS. When a block may or may not follow the
; push, the frame is popped on the edges into it from the pushed side.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%node = type { %node*, %node*, i64 }
@trigger = global i64 -1
@sink = global i8* null
declare i8* @malloc(i64)
declare void @ext()
declare i32 @__gxx_personality_v0(...)
declare i32 @ext_i32()

; bench/pass's walk at -O2: the second recursive call became a loop, and the
; `if (!t) return 0;` shares the ret with the loop exit. The push is in the
; preheader; the latch's exit edge is split for the restore.
; CHECK-LABEL: define i64 @walk(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: %null = icmp eq
; CHECK-NEXT: br i1 %null, label %ret, label %rec
; CHECK: rec:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: loop:
; CHECK-NOT: @__tm_shadow
; CHECK: call {{i8\*|ptr}} @__tm_malloc(
; CHECK-NOT: @__tm_shadow
; CHECK: br i1 %done, label %[[POP:[^,]+]], label %loop
; CHECK: [[POP]]: {{ *}}; preds = %next{{$}}
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %ret
; CHECK: ret:
; CHECK-NEXT: %res = phi i64 [ 0, %entry ], [ %s, %[[POP]] ]
; CHECK-NEXT: ret i64 %res
define i64 @walk(%node* %t) {
entry:
  %null = icmp eq %node* %t, null
  br i1 %null, label %ret, label %rec
rec:
  br label %loop
loop:
  %n = phi %node* [ %t, %rec ], [ %r, %next ]
  %acc = phi i64 [ 0, %rec ], [ %s, %next ]
  %vp = getelementptr %node, %node* %n, i32 0, i32 2
  %v = load i64, i64* %vp
  %trig = load volatile i64, i64* @trigger
  %hit = icmp eq i64 %v, %trig
  br i1 %hit, label %alloc, label %next
alloc:
  %m = call i8* @malloc(i64 8)
  store volatile i8* %m, i8** @sink
  br label %next
next:
  %lp = getelementptr %node, %node* %n, i32 0, i32 0
  %l = load %node*, %node** %lp
  %a = call i64 @walk(%node* %l)
  %va = add i64 %v, %a
  %s = add i64 %acc, %va
  %rp = getelementptr %node, %node* %n, i32 0, i32 1
  %r = load %node*, %node** %rp
  %done = icmp eq %node* %r, null
  br i1 %done, label %ret, label %loop
ret:
  %res = phi i64 [ 0, %entry ], [ %s, %next ]
  ret i64 %res
}

; Two switch edges from the push block to the shared exit go through one new
; block; a pushed predecessor whose only successor is the exit restores at
; its end.
; CHECK-LABEL: define i32 @cases(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: %z = icmp eq i32 %k, 0
; CHECK-NEXT: br i1 %z, label %ret, label %rec
; CHECK: rec:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: switch i32 %a, label %[[POP:[^ ]+]] [
; CHECK-NEXT: i32 1, label %[[POP]]
; CHECK-NEXT: i32 2, label %more
; CHECK: [[POP]]: {{ *}}; preds = %rec, %rec{{$}}
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %ret
; CHECK: more:
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %ret
; CHECK: ret:
; CHECK-NEXT: %v = phi i32 [ 0, %entry ], [ %a, %[[POP]] ], [ 1, %more ]
; CHECK-NEXT: ret i32 %v
define i32 @cases(i32 %k) {
entry:
  %z = icmp eq i32 %k, 0
  br i1 %z, label %ret, label %rec
rec:
  %a = call i32 @ext_i32()
  switch i32 %a, label %ret [
    i32 1, label %ret
    i32 2, label %more
  ]
more:
  call void @ext()
  br label %ret
ret:
  %v = phi i32 [ 0, %entry ], [ %a, %rec ], [ %a, %rec ], [ 1, %more ]
  ret i32 %v
}

; `mid` reaches the exit and is reached both from the push and from entry
; alone, so it may or may not have pushed: the frame is popped on both edges
; out of `push` (split), and the path through entry alone touches no TLS.
; CHECK-LABEL: define void @popped_early(
; CHECK-NEXT: entry:
; CHECK-NEXT: %tm.rec = alloca
; CHECK-NOT: __tm_shadow
; CHECK: br i1 %c, label %push, label %mid
; CHECK: push:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK: call void @ext()
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: br i1 %d, label %[[TOMID:[^,]+]], label %[[TOEXIT:[^,]+]]
; CHECK: [[TOEXIT]]: {{ *}}; preds = %push{{$}}
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %exit
; CHECK: [[TOMID]]: {{ *}}; preds = %push{{$}}
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: br label %mid
; CHECK: mid:
; CHECK-NEXT: br label %exit
; CHECK: exit:
; CHECK-NEXT: ret void
define void @popped_early(i1 %c, i1 %d) {
entry:
  br i1 %c, label %push, label %mid
push:
  call void @ext()
  br i1 %d, label %mid, label %exit
mid:
  br label %exit
exit:
  ret void
}

; Fallback: the invoke's normal edge leaves the region into `mid`, which is
; also reached from entry alone, and an invoke's edge cannot take a store.
; So the frame lasts to the exit; `mid` may or may not have pushed, so the
; top is saved into the record at entry and the exit restores it (harmless
; on the path that never pushed: the top is that there anyway).
; CHECK-LABEL: define void @fallback(
; CHECK-NEXT: entry:
; CHECK: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: br i1 %c, label %push, label %mid
; CHECK: push:
; CHECK-NEXT: %tm.sitep = getelementptr
; CHECK: invoke void @ext()
; CHECK: mid:
; CHECK-NEXT: br label %exit
; CHECK: exit:
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret void
; CHECK: lp:
; CHECK-NEXT: landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: store {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: resume
define void @fallback(i1 %c) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
  br i1 %c, label %push, label %mid
push:
  invoke void @ext() to label %mid unwind label %lp
mid:
  br label %exit
exit:
  ret void
lp:
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}
