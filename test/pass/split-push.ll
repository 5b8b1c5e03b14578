; A frame whose calls lie on separate paths gets one push per path
; (ShadowStack.h, "Split"): issue 15's tree, whose leaves (half of all
; calls) make a rare call, runs its leaves with no frame; the rare path
; pushes around that call only; hook sites are OWN_FRAME on a pushed path.
; Not split: one path that reaches both groups (a shared block), -O0
; (optnone), and frames with landing pads.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t
; RUN: FileCheck %s < %t
; RUN: env TM_PASS_UNTRACED_COPY=0 TM_PASS_DEBUG=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -disable-output %s 2>&1 | FileCheck %s --check-prefix=DEBUG
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @keep(i64)

; CHECK-LABEL: define i64 @tree(
; CHECK-NEXT: entry:
; CHECK-NOT: __tm_shadow
; CHECK: br i1 %leaf
; CHECK: inner:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call i64 @tree(
; CHECK: call i64 @tree(
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret i64
; CHECK: leafbb:
; CHECK-NOT: __tm_shadow
; CHECK: br i1 %rare
; CHECK: rarebb:
; CHECK-NEXT: %tm.prevp{{[0-9]*}} = getelementptr
; CHECK-NEXT: %tm.prev{{[0-9]+}} = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: call void @keep(
; CHECK: call {{.*}}@__tm_malloc(i64 16, {{.*}}@[[SITES:__tm_sites[.0-9]*]]{{[ ,)]}}
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp{{[0-9]*}}
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK: done:
; CHECK-NOT: __tm_shadow
; CHECK: ret i64
; DEBUG: 'tree': split into 2 pushes: %inner (region of 1 block(s), 0 exit edge(s)) %rarebb (region of 1 block(s), 1 exit edge(s))
define i64 @tree(i32 %d, i64 %x) {
entry:
  %leaf = icmp eq i32 %d, 0
  br i1 %leaf, label %leafbb, label %inner

inner:
  %d1 = sub i32 %d, 1
  %a = call i64 @tree(i32 %d1, i64 %x)
  %b = call i64 @tree(i32 %d1, i64 %a)
  ret i64 %b

leafbb:
  %rare = icmp eq i64 %x, 0
  br i1 %rare, label %rarebb, label %done

rarebb:
  call void @keep(i64 %x)
  %p = call i8* @malloc(i64 16)
  br label %done

done:
  ret i64 %x
}

; Both calls reachable from one block that calls too: one push.
; DEBUG: 'joined': push in %entry
; DEBUG-NOT: 'joined': split
define void @joined(i1 %c) {
entry:
  call void @keep(i64 0)
  br i1 %c, label %a, label %b
a:
  call void @keep(i64 1)
  ret void
b:
  call void @keep(i64 2)
  ret void
}

; -O0: one push.
; DEBUG: 'tree_o0': push in %entry
; DEBUG-NOT: 'tree_o0': split
define i64 @tree_o0(i32 %d) noinline optnone {
entry:
  %leaf = icmp eq i32 %d, 0
  br i1 %leaf, label %leafbb, label %inner
inner:
  call void @keep(i64 1)
  ret i64 1
leafbb:
  call void @keep(i64 0)
  ret i64 0
}
