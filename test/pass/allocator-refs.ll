; The object keeps one reference to each allocation function whose calls the
; pass rewrote (a private array in llvm.compiler.used), so that a malloc
; defined in a static library is still pulled out of the archive; functions
; it did not rewrite, and hooks, are not in it. A second run adds nothing.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,tm-instrument,verify' -S %s | FileCheck %s --check-prefix=TWICE
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @free(i8*)
declare i8* @calloc(i64, i64)

; CHECK: @__tm_allocator_refs = private constant [2 x {{i8\*|ptr}}] [{{.*}}@malloc{{.*}}, {{.*}}@free{{.*}}]
; CHECK: @llvm.compiler.used = appending global {{.*}}@__tm_allocator_refs
; TWICE: @__tm_allocator_refs =
; TWICE-NOT: @__tm_allocator_refs{{.*}} =
define void @f(i64 %n) {
  %p = call i8* @malloc(i64 %n)
  call void @free(i8* %p)
  ret void
}
