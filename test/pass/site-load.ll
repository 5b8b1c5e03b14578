; A hook call on a cycle of the CFG loads its site (volatile) from a private
; constant instead of taking the site's address as an immediate: the backend
; would hoist the address out of the loop into a callee-saved register and
; make every call of the function pay for it. Hook calls off cycles keep the
; constant. The reference sits in the function's comdat, like the site array.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
source_filename = "/src/loop.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

$inl = comdat any

declare i8* @malloc(i64)
declare void @free(i8*)
declare i8* @_Znwm(i64)
declare void @work()
declare i32 @__gxx_personality_v0(...)

; CHECK: @[[REF_LOOP:__tm_site_ref[.0-9]*]] = private constant {{i8\*|ptr}} {{.*}}@[[SITES_LOOP:__tm_sites[.0-9]*]]{{.*}}, align 8
; CHECK: @[[REF_INL:__tm_site_ref[.0-9]*]] = private constant {{i8\*|ptr}} {{.*}}, comdat($inl), align 8
; CHECK: @[[REF_INV:__tm_site_ref[.0-9]*]] = private constant {{i8\*|ptr}} {{.*}}, align 8
; CHECK-NOT: __tm_site_ref

; CHECK-LABEL: define void @loop(
; CHECK: [[S:%tm.site[0-9]*]] = load volatile {{i8\*|ptr}}, {{i8\*\*|ptr}} @[[REF_LOOP]], align 8, !dbg
; CHECK-NEXT: %p = call {{i8\*|ptr}} @__tm_malloc(i64 8, {{i8\*|ptr}} [[S]]), !dbg
; The free after the loop is on no cycle: its site is a constant.
; CHECK: call void @__tm_free({{i8\*|ptr}} %last, {{i8\*|ptr}} {{.*}}@[[SITES_LOOP]]
define void @loop(i64 %n) !dbg !5 {
entry:
  br label %head

head:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %prev = phi i8* [ null, %entry ], [ %cur, %latch ]
  call void @work(), !dbg !9
  %rare = icmp eq i64 %i, 1000
  br i1 %rare, label %alloc, label %latch

alloc:
  %p = call i8* @malloc(i64 8), !dbg !10
  br label %latch

latch:
  %cur = phi i8* [ %p, %alloc ], [ %prev, %head ]
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %head

exit:
  %last = phi i8* [ %cur, %latch ]
  call void @free(i8* %last), !dbg !11
  ret void
}

; No loop: the site operand stays a constant, nothing is loaded.
; CHECK-LABEL: define {{i8\*|ptr}} @straight(
; CHECK-NOT: load volatile
; CHECK: call {{i8\*|ptr}} @__tm_malloc(i64 16, {{i8\*|ptr}} {{.*}}@__tm_sites
define i8* @straight() !dbg !12 {
  call void @work(), !dbg !13
  %p = call i8* @malloc(i64 16), !dbg !14
  ret i8* %p
}

; A comdat function: its reference goes into the comdat (checked above).
; CHECK-LABEL: define linkonce_odr void @inl(
; CHECK: load volatile {{i8\*|ptr}}, {{i8\*\*|ptr}} @[[REF_INL]]
define linkonce_odr void @inl(i8** %q, i64 %n) comdat !dbg !15 {
entry:
  br label %body

body:
  %i = phi i64 [ 0, %entry ], [ %i.next, %body ]
  %p = call i8* @malloc(i64 %i), !dbg !16
  store i8* %p, i8** %q
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %body

exit:
  ret void
}

; An invoke on a cycle: the load goes before the invoke, which stays an
; invoke with its unwind edge.
; CHECK-LABEL: define void @loop_invoke(
; CHECK: [[SI:%tm.site[0-9]*]] = load volatile {{i8\*|ptr}}, {{i8\*\*|ptr}} @[[REF_INV]]
; CHECK-NEXT: %p = invoke {{i8\*|ptr}} @__tm__Znwm(i64 32, {{i8\*|ptr}} [[SI]])
; CHECK-NEXT: to label %latch unwind label %lpad
define void @loop_invoke(i64 %n) personality i32 (...)* @__gxx_personality_v0 !dbg !17 {
entry:
  br label %head

head:
  %i = phi i64 [ 0, %entry ], [ %i.next, %latch ]
  %p = invoke i8* @_Znwm(i64 32)
          to label %latch unwind label %lpad, !dbg !18

latch:
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %head

lpad:
  %lp = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %lp

exit:
  ret void
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "loop.c", directory: "/src")
!2 = !DISubroutineType(types: !{})
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "loop", scope: !1, file: !1, line: 1, type: !2, unit: !0)
!9 = !DILocation(line: 4, column: 5, scope: !5)
!10 = !DILocation(line: 6, column: 11, scope: !5)
!11 = !DILocation(line: 8, column: 3, scope: !5)
!12 = distinct !DISubprogram(name: "straight", scope: !1, file: !1, line: 10, type: !2, unit: !0)
!13 = !DILocation(line: 11, column: 3, scope: !12)
!14 = !DILocation(line: 12, column: 10, scope: !12)
!15 = distinct !DISubprogram(name: "inl", scope: !1, file: !1, line: 20, type: !2, unit: !0)
!16 = !DILocation(line: 22, column: 10, scope: !15)
!17 = distinct !DISubprogram(name: "loop_invoke", scope: !1, file: !1, line: 30, type: !2, unit: !0)
!18 = !DILocation(line: 32, column: 10, scope: !17)
