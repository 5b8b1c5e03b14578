; A storing call after another one whose site the record holds on every
; path to it moves the record to its own site by adding the distance
; (`rec.site += d`: one `addq $d, mem` on x86-64 instead of materialising
; the address and storing it). The first site a frame stores is always a
; whole one (the runtime's memo relies on it: a frame entered anew leaves
; no tag). A call reached from two storing calls, or one in a function
; with a landing pad or a returns_twice call, stores its whole site.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s \
; RUN:   | %clang -O2 -S -x ir - -o - | FileCheck --check-prefix=ASM %s
source_filename = "/src/delta.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare void @ext()
declare i32 @setjmp(i8*) returns_twice

; recursion.c's `tree` (its leaves' rare call is @ext): two calls in one block. The second adds 40 (one
; site further in the table), after the first stored its whole site.
; CHECK-LABEL: define void @tree(
; CHECK: inner:
; CHECK: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} [[SITEP:%tm.sitep[0-9]*]], align 8
; CHECK-NEXT: call void @tree(
; CHECK-NEXT: [[OLD:%tm.site[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} [[SITEP]], align 8
; CHECK-NEXT: [[NEW:%tm.site.next[0-9]*]] = getelementptr i8, {{i8\*|ptr}} [[OLD]], i64 40
; CHECK-NEXT: store {{i8\*|ptr}} [[NEW]], {{i8\*\*|ptr}} [[SITEP]], align 8
; CHECK-NEXT: call void @tree(
; ASM-LABEL: tree:
; ASM: addq $40, {{[0-9]*}}(%rsp)
define void @tree(i32 %d) !dbg !5 {
entry:
  %leaf = icmp eq i32 %d, 0
  br i1 %leaf, label %bottom, label %inner
bottom:
  call void @ext(), !dbg !17
  br label %done
inner:
  %d1 = sub i32 %d, 1
  call void @tree(i32 %d1), !dbg !6
  call void @tree(i32 %d1), !dbg !7
  br label %done
done:
  ret void
}

; The third call is reached from either of two storing calls: a whole store.
; A call in the block after the first one (its only predecessor) adds.
; CHECK-LABEL: define void @join(
; CHECK: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %tm.sitep
; CHECK-NEXT: call void @join(i32 0)
; CHECK: then:
; CHECK: getelementptr i8, {{i8\*|ptr}} {{%tm.site[0-9]*}}, i64 40
; CHECK: call void @join(i32 1)
; CHECK: else:
; CHECK: getelementptr i8, {{i8\*|ptr}} {{%tm.site[0-9]*}}, i64 80
; CHECK: call void @join(i32 2)
; CHECK: end:
; CHECK-NOT: getelementptr i8
; CHECK: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %tm.sitep
; CHECK-NEXT: call void @join(i32 3)
; CHECK-NEXT: [[OLD3:%tm.site[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: getelementptr i8, {{i8\*|ptr}} [[OLD3]], i64 40
define void @join(i32 %x) !dbg !8 {
entry:
  call void @join(i32 0), !dbg !9
  %c = icmp eq i32 %x, 7
  br i1 %c, label %then, label %else
then:
  call void @join(i32 1), !dbg !10
  br label %end
else:
  call void @join(i32 2), !dbg !11
  br label %end
end:
  call void @join(i32 3), !dbg !12
  call void @ext(), !dbg !18
  ret void
}

; After a setjmp, control may come back from later in the frame (a longjmp
; after the second call), with the second call's site in the record: whole
; stores only.
; CHECK-LABEL: define void @jumps(
; CHECK-NOT: getelementptr i8
; CHECK: ret void
define void @jumps(i8* %buf) !dbg !13 {
  %r = call i32 @setjmp(i8* %buf), !dbg !14
  call void @ext(), !dbg !19
  call void @jumps(i8* %buf), !dbg !15
  call void @jumps(i8* %buf), !dbg !16
  ret void
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "delta.c", directory: "/src")
!2 = !DISubroutineType(types: !{})
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "tree", scope: !1, file: !1, line: 1, type: !2, unit: !0)
!6 = !DILocation(line: 4, column: 3, scope: !5)
!7 = !DILocation(line: 5, column: 3, scope: !5)
!8 = distinct !DISubprogram(name: "join", scope: !1, file: !1, line: 10, type: !2, unit: !0)
!9 = !DILocation(line: 11, column: 3, scope: !8)
!10 = !DILocation(line: 13, column: 5, scope: !8)
!11 = !DILocation(line: 15, column: 5, scope: !8)
!12 = !DILocation(line: 17, column: 3, scope: !8)
!13 = distinct !DISubprogram(name: "jumps", scope: !1, file: !1, line: 20, type: !2, unit: !0)
!14 = !DILocation(line: 21, column: 7, scope: !13)
!15 = !DILocation(line: 22, column: 3, scope: !13)
!16 = !DILocation(line: 23, column: 3, scope: !13)
!17 = !DILocation(line: 3, column: 5, scope: !5)
!18 = !DILocation(line: 18, column: 3, scope: !8)
!19 = !DILocation(line: 21, column: 20, scope: !13)
