; Site descriptors: one private constant array per function, in the
; function's comdat (so an inline function's sites exist once per link);
; file = DIFile directory + relative name ("./inl.h" in /src -> /src/inl.h),
; function = DISubprogram name, line/column, and the inlinedAt chain as an
; extra site the first one points to. Without debug info: the module's source
; file, line 0, the IR name and TM_SITE_NO_DEBUG.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
source_filename = "/src/a.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

$user = comdat any

declare i8* @malloc(i64)
declare void @free(i8*)

; helper() (in ./inl.h) inlined into user() (in a.c, a comdat function): two
; rows, the inlinedAt location of user() and the allocation site in helper(),
; which points to it.
; CHECK: @__tm_sites = private constant [2 x {{.*}}] [{{[^@]*}}@[[AC:__tm_str[.0-9]*]]{{[^@]*}}@[[USERNAME:__tm_str[.0-9]*]]{{[^@]*}}null, i32 12, i32 5, i32 0, i32 0 }, {{[^@]*}}@[[INL:__tm_str[.0-9]*]]{{[^@]*}}@[[HELPER:__tm_str[.0-9]*]]{{[^@]*}}@__tm_sites{{.*}}, i32 3, i32 10, i32 0, i32 0 }], section "tm_sites", comdat($user), align 8
; CHECK: @[[AC]] = private unnamed_addr constant [9 x i8] c"/src/a.c\00"
; CHECK: @[[USERNAME]] = private unnamed_addr constant [5 x i8] c"user\00"
; CHECK: @[[INL]] = private unnamed_addr constant [11 x i8] c"/src/inl.h\00"
; CHECK: @[[HELPER]] = private unnamed_addr constant [7 x i8] c"helper\00"
; An absolute DIFile name is kept as is.
; CHECK: @__tm_sites{{.*}} = private constant [1 x {{.*}}] [{{[^@]*}}@[[ABS:__tm_str[.0-9]*]]{{.*}}, i32 7, i32 3, i32 0, i32 0 }], section "tm_sites", align 8
; CHECK: @[[ABS]] = private unnamed_addr constant [13 x i8] c"/abs/other.c\00"
; No debug info: module source file, IR name, line 0, NO_DEBUG.
; CHECK: @__tm_sites{{.*}} = private constant [1 x {{.*}}] [{{[^@]*}}@[[AC]]{{[^@]*}}@[[NODBG:__tm_str[.0-9]*]]{{.*}}, i32 0, i32 0, i32 2, i32 0 }], section "tm_sites", align 8
; CHECK: @[[NODBG]] = private unnamed_addr constant [6 x i8] c"nodbg\00"

; CHECK-LABEL: define linkonce_odr {{.*}} @user(
; CHECK: call {{i8\*|ptr}} @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites, i32 0, i32 1)

define linkonce_odr i8* @user(i64 %n) comdat !dbg !5 {
  %p = call i8* @malloc(i64 %n), !dbg !9
  ret i8* %p, !dbg !11
}

define void @abs(i8* %p) !dbg !12 {
  call void @free(i8* %p), !dbg !14
  ret void
}

define i8* @nodbg(i64 %n) {
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2}
!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "a.c", directory: "/src")
!2 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !DIFile(filename: "./inl.h", directory: "/src")
!5 = distinct !DISubprogram(name: "user", scope: !1, file: !1, line: 10, type: !6, scopeLine: 10, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!6 = !DISubroutineType(types: !7)
!7 = !{}
!8 = distinct !DISubprogram(name: "helper", scope: !4, file: !4, line: 2, type: !6, scopeLine: 2, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!9 = !DILocation(line: 3, column: 10, scope: !8, inlinedAt: !10)
!10 = distinct !DILocation(line: 12, column: 5, scope: !5)
!11 = !DILocation(line: 13, column: 1, scope: !5)
!12 = distinct !DISubprogram(name: "abs", scope: !13, file: !13, line: 6, type: !6, scopeLine: 6, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!13 = !DIFile(filename: "/abs/other.c", directory: "/src")
!14 = !DILocation(line: 7, column: 3, scope: !12)
