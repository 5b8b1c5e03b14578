; Frames of system headers are folded (pass/SystemHeaders.h): a site's
; inlinedAt chain loses its system-header locations, so its first frame is
; the user's line; a function defined in a system header gets no frame and
; no slot stores, its allocation calls are rewritten with the site of their
; nearest user location, or a null site when the whole chain is in system
; headers (the runtime then starts at the caller's slot), and its landing
; pads set the depth back to the one it was entered with.
; File names are absolute and normalised: "../x/./y.c" in /src/b is
; /src/x/y.c, "/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12"
; is /usr/include/c++/12.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t
; RUN: FileCheck %s < %t
; RUN: FileCheck %s --check-prefix=TABLE < %t
; RUN: FileCheck %s --check-prefix=STR < %t
; -tm-system-frames keeps them (the env var and the flag).
; RUN: env TM_PASS_UNTRACED_COPY=0 TM_PASS_SYSTEM_FRAMES=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t.kept
; RUN: FileCheck %s --check-prefix=KEPT < %t.kept
; RUN: FileCheck %s --check-prefix=KEPTSTR < %t.kept
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -tm-system-frames -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=KEPT
; Site-only: no shadow stack, so a wholly folded chain keeps the function's
; own location instead of a null site.
; RUN: env TM_PASS_SITE_ONLY=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=SITEONLY
; SITEONLY-LABEL: define linkonce_odr void @_M_realloc_insert(
; SITEONLY-NOT: @__tm_shadow
; SITEONLY: invoke {{.*}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
; TM_PASS_SKIP_FILES folds inlined frames of matching files the same way.
; RUN: env TM_PASS_UNTRACED_COPY=0 TM_PASS_SKIP_FILES='*/inl.h' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=SKIP
; TM_PASS_SYSTEM_DIRS (what tmcc passes for -isystem) adds directories.
; RUN: env TM_PASS_UNTRACED_COPY=0 TM_PASS_SYSTEM_DIRS=/opt/sdk/./include/:/nonexistent %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=DIRS
source_filename = "/src/a.cpp"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @_Znwm(i64)
declare i8* @malloc(i64)
declare void @ext()
declare i32 @__gxx_personality_v0(...)

; push_back inlined into user(): new_allocator.h -> stl_vector.h -> a.cpp:12.
; One row: a.cpp:12, no parent.
; TABLE: @__tm_sites = private constant [2 x {{.*}}] [{{[^@]*}}@[[AC:__tm_str[.0-9]*]]{{[^@]*}}@[[USER:__tm_str[.0-9]*]]{{[^@]*}}null, i32 12, i32 5, i32 1, i32 0 }, {{[^@]*}}@[[AC]]{{[^@]*}}@[[USER]]{{[^@]*}}null, i32 20, i32 3, i32 0, i32 0 }], section "tm_sites", align 8
; KEPT: @__tm_sites = private constant [5 x
define void @user(i64 %n) !dbg !10 {
  %p = call i8* @_Znwm(i64 %n), !dbg !13
  call void @_M_realloc_insert(i64 %n), !dbg !16
  ret void, !dbg !17
}
; user() stores a.cpp:20 for its call of _M_realloc_insert (a call made
; inside inlined stl_vector.h code; its only storing call, so at the push).
; CHECK-LABEL: define void @user(
; CHECK: store {{.*}}@__tm_sites, i32 0, i32 1){{.*}} %tm.sitep
; CHECK: call {{.*}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites{{( to i8\*\))?}})
; CHECK-NEXT: call void @_M_realloc_insert(

; Defined in vector.tcc: no frame, no slot store; its operator new (in
; new_allocator.h) has a null site; its landing pad sets the top back.
; CHECK-LABEL: define linkonce_odr void @_M_realloc_insert(
; CHECK-NEXT: %tm.top = load {{i8\*|ptr}}, {{i8\*\*|ptr}} {{.*}}@__tm_shadow_top
; CHECK-NOT: %tm.sitep
; CHECK: invoke {{.*}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} null)
; CHECK: landingpad
; CHECK-NEXT: catch
; CHECK-NEXT: store {{i8\*|ptr}} %tm.top, {{i8\*\*|ptr}} {{.*}}@__tm_shadow_top
; CHECK-NOT: %tm.sitep
; CHECK: ret void
; KEPT-LABEL: define linkonce_odr void @_M_realloc_insert(
; KEPT: store atomic
; KEPT: @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
define linkonce_odr void @_M_realloc_insert(i64 %n) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) !dbg !20 {
  call void @ext(), !dbg !21
  %p = invoke i8* @_Znwm(i64 %n)
          to label %ok unwind label %lp, !dbg !22
ok:
  ret void, !dbg !21
lp:
  %e = landingpad { i8*, i32 } catch i8* null, !dbg !21
  ret void, !dbg !21
}

; A user function (in inl.h) inlined into a system one (std::for_each in
; stl_algo.h) inlined into user2(): inl.h:3 -> a.cpp:30, the system frame
; between them dropped; with TM_PASS_SKIP_FILES='*/inl.h' it goes too.
; TABLE: @__tm_sites{{.*}} = private constant [2 x {{.*}}] [{{[^@]*}}@[[AC]]{{[^@]*}}@[[USER2:__tm_str[.0-9]*]]{{[^@]*}}null, i32 30, i32 7, i32 0, i32 0 }, {{[^@]*}}@[[INL:__tm_str[.0-9]*]]{{[^@]*}}@[[LAMBDA:__tm_str[.0-9]*]]{{[^@]*}}@__tm_sites{{[^@]*}}, i32 3, i32 9, i32 0, i32 0 }], section "tm_sites", align 8
; SKIP: @__tm_sites{{.*}} = private constant [1 x {{.*}}] [{{[^@]*}}@{{__tm_str[.0-9]*}}{{[^@]*}}@{{__tm_str[.0-9]*}}{{[^@]*}}null, i32 30, i32 7, i32 0, i32 0 }], section "tm_sites", align 8
define void @user2(i64 %n) !dbg !30 {
  %p = call i8* @malloc(i64 %n), !dbg !33
  ret void, !dbg !36
}

; A user callback inlined into an out-of-line system function: the callback's
; line, no parent, no own frame (the system function has none).
; TABLE: @__tm_sites{{.*}} = private constant [1 x {{.*}}] [{{[^@]*}}@[[INL]]{{[^@]*}}@[[LAMBDA]]{{[^@]*}}null, i32 4, i32 9, i32 0, i32 0 }], section "tm_sites", align 8
define linkonce_odr void @for_each_outline(i64 %n) !dbg !40 {
  call void @ext(), !dbg !41
  %p = call i8* @malloc(i64 %n), !dbg !42
  ret void, !dbg !41
}

; A function in a directory given with TM_PASS_SYSTEM_DIRS.
; DIRS-LABEL: define void @sdk_fn(
; DIRS: @__tm_malloc(i64 %n, {{i8\*|ptr}} null)
; CHECK-LABEL: define void @sdk_fn(
; CHECK: @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
define void @sdk_fn(i64 %n) !dbg !50 {
  %p = call i8* @malloc(i64 %n), !dbg !51
  ret void, !dbg !51
}

; Normalised names.
; STR-DAG: c"/src/a.cpp\00"
; STR-DAG: c"/src/x/y.c\00"
; STR-DAG: c"/src/inl.h\00"
; STR-NOT: c"/usr/
; KEPTSTR-DAG: c"/usr/include/c++/12/bits/new_allocator.h\00"
; KEPTSTR-DAG: c"/usr/include/c++/12/bits/stl_vector.h\00"
; CHECK-LABEL: define void @dotted(
; CHECK: @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
define void @dotted(i64 %n) !dbg !60 {
  %p = call i8* @malloc(i64 %n), !dbg !61
  ret void, !dbg !61
}

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!2}
!0 = distinct !DICompileUnit(language: DW_LANG_C_plus_plus_14, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "a.cpp", directory: "/src")
!2 = !{i32 2, !"Debug Info Version", i32 3}
!3 = !DISubroutineType(types: !4)
!4 = !{}
!5 = !DIFile(filename: "/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/new_allocator.h", directory: "/src")
!6 = !DIFile(filename: "/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/stl_vector.h", directory: "/src")
!7 = !DIFile(filename: "/usr/lib/gcc/x86_64-linux-gnu/12/../../../../include/c++/12/bits/vector.tcc", directory: "/src")
!8 = distinct !DISubprogram(name: "allocate", scope: !5, file: !5, line: 126, type: !3, scopeLine: 126, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!9 = distinct !DISubprogram(name: "push_back", scope: !6, file: !6, line: 1280, type: !3, scopeLine: 1280, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!10 = distinct !DISubprogram(name: "user", scope: !1, file: !1, line: 10, type: !3, scopeLine: 10, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!11 = distinct !DILocation(line: 12, column: 5, scope: !10)
!12 = distinct !DILocation(line: 1287, column: 4, scope: !9, inlinedAt: !11)
!13 = !DILocation(line: 137, column: 27, scope: !8, inlinedAt: !12)
!14 = distinct !DILocation(line: 20, column: 3, scope: !10)
!15 = distinct !DISubprogram(name: "push_back", scope: !6, file: !6, line: 1280, type: !3, scopeLine: 1280, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!16 = !DILocation(line: 1289, column: 4, scope: !15, inlinedAt: !14)
!17 = !DILocation(line: 21, column: 1, scope: !10)
!20 = distinct !DISubprogram(name: "_M_realloc_insert", scope: !7, file: !7, line: 439, type: !3, scopeLine: 439, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!21 = !DILocation(line: 440, column: 3, scope: !20)
!22 = !DILocation(line: 137, column: 27, scope: !23, inlinedAt: !21)
!23 = distinct !DISubprogram(name: "allocate", scope: !5, file: !5, line: 126, type: !3, scopeLine: 126, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!24 = !DIFile(filename: "inl.h", directory: "/src")
!25 = !DIFile(filename: "/usr/include/c++/12/bits/stl_algo.h", directory: "/src")
!26 = distinct !DISubprogram(name: "lambda", scope: !24, file: !24, line: 2, type: !3, scopeLine: 2, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!27 = distinct !DISubprogram(name: "for_each", scope: !25, file: !25, line: 3870, type: !3, scopeLine: 3870, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!30 = distinct !DISubprogram(name: "user2", scope: !1, file: !1, line: 29, type: !3, scopeLine: 29, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!31 = distinct !DILocation(line: 30, column: 7, scope: !30)
!32 = distinct !DILocation(line: 3875, column: 2, scope: !27, inlinedAt: !31)
!33 = !DILocation(line: 3, column: 9, scope: !26, inlinedAt: !32)
!36 = !DILocation(line: 31, column: 1, scope: !30)
!40 = distinct !DISubprogram(name: "for_each", scope: !25, file: !25, line: 3870, type: !3, scopeLine: 3870, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!41 = !DILocation(line: 3871, column: 2, scope: !40)
!42 = !DILocation(line: 4, column: 9, scope: !43, inlinedAt: !41)
!43 = distinct !DISubprogram(name: "lambda", scope: !24, file: !24, line: 2, type: !3, scopeLine: 2, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!49 = !DIFile(filename: "x.h", directory: "/opt/sdk/include")
!50 = distinct !DISubprogram(name: "sdk_fn", scope: !49, file: !49, line: 1, type: !3, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!51 = !DILocation(line: 2, column: 3, scope: !50)
!59 = !DIFile(filename: "../x/./y.c", directory: "/src//b")
!60 = distinct !DISubprogram(name: "dotted", scope: !59, file: !59, line: 1, type: !3, scopeLine: 1, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0)
!61 = !DILocation(line: 2, column: 3, scope: !60)
