; The rewritten call keeps operand bundles, calling convention, debug
; location, tail marker and return attributes; parameter and function
; attributes are dropped, and the hook declaration has none.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare fastcc i8* @malloc(i64)
declare void @free(i8*)

; CHECK-LABEL: define {{i8\*|ptr}} @f(
define i8* @f(i64 %n) !dbg !5 {
; CHECK: %p = tail call fastcc noalias nonnull dereferenceable(8) {{i8\*|ptr}} @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}) [ "tm.test"(i32 7) ], !dbg ![[L:[0-9]+]]
  %p = tail call fastcc noalias nonnull dereferenceable(8) i8* @malloc(i64 noundef %n) #0 [ "tm.test"(i32 7) ], !dbg !8
; CHECK: call void @__tm_free({{i8\*|ptr}} %p, {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}), !dbg
  call void @free(i8* %p), !dbg !9
  ret i8* %p, !dbg !9
}
; CHECK: declare fastcc {{i8\*|ptr}} @__tm_malloc(i64, {{i8\*|ptr}}){{$}}
; CHECK: declare void @__tm_free({{i8\*|ptr}}, {{i8\*|ptr}}){{$}}
; CHECK: ![[L]] = !DILocation(line: 4, column: 12,

attributes #0 = { nounwind allocsize(0) }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2}
!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "a.c", directory: "/src")
!2 = !{i32 2, !"Debug Info Version", i32 3}
!5 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 3, type: !6, scopeLine: 3, spFlags: DISPFlagDefinition, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!8 = !DILocation(line: 4, column: 12, scope: !5)
!9 = !DILocation(line: 5, column: 3, scope: !5)
