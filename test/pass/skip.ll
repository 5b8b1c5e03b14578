; Functions the pass leaves alone: naked, annotate("tm_skip") (what
; TM_NO_INSTRUMENT expands to), disable_sanitizer_instrumentation, __tm_*,
; available_externally; and calls it leaves alone: a mismatched function type
; (K&R / bitcast callee), a prototype whose arity differs from the .def.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
; The PipelineStart part makes annotated functions noinline, so that no copy
; is inlined (and instrumented) into a caller before OptimizerLast.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-mark-skips,verify' -S %s | FileCheck %s --check-prefix=MARK
; MARK: define {{i8\*|ptr}} @annotated(i64 %n) [[ATTR:#[0-9]+]]
; MARK: attributes [[ATTR]] = { noinline }
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@.str = private unnamed_addr constant [8 x i8] c"tm_skip\00", section "llvm.metadata"
@.file = private unnamed_addr constant [4 x i8] c"a.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [{ i8*, i8*, i8*, i32, i8* } { i8* bitcast (i8* (i64)* @annotated to i8*), i8* getelementptr inbounds ([8 x i8], [8 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([4 x i8], [4 x i8]* @.file, i32 0, i32 0), i32 3, i8* null }], section "llvm.metadata"

declare i8* @malloc(i64)
declare i8* @valloc(i32)
declare i8* @pvalloc(i64, i64)
declare void @ext()

; CHECK-LABEL: define void @naked(
; CHECK-NOT: __tm_
; CHECK: ret void
define void @naked() naked {
  call void @ext()
  %p = call i8* @malloc(i64 1)
  ret void
}

; CHECK-LABEL: define {{i8\*|ptr}} @annotated(
; CHECK-NOT: __tm_
; CHECK: ret
define i8* @annotated(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

; CHECK-LABEL: define {{i8\*|ptr}} @dsi(
; CHECK-NOT: __tm_
; CHECK: ret
define i8* @dsi(i64 %n) disable_sanitizer_instrumentation {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

; CHECK-LABEL: define {{i8\*|ptr}} @__tm_helper(
; CHECK-NOT: __tm_shadow
; CHECK: call {{i8\*|ptr}} @malloc(
define i8* @__tm_helper(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

; CHECK-LABEL: define available_externally {{i8\*|ptr}} @avail(
; CHECK-NOT: __tm_
; CHECK: ret
define available_externally i8* @avail(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

; CHECK-LABEL: define void @mismatch(
; CHECK-NOT: @__tm_valloc
; CHECK-NOT: @__tm_pvalloc
; CHECK: ret void
define void @mismatch(i64 %n) {
  %a = call i8* bitcast (i8* (i32)* @valloc to i8* (i64)*)(i64 %n)
  %b = call i8* @pvalloc(i64 %n, i64 %n)
  ret void
}
