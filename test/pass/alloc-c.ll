; Every C allocation function of tracemalloc_hooks.def becomes __tm_NAME(args..., site),
; and the hooks are plain declarations (no allocator attributes).
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare noalias i8* @malloc(i64) #0
declare noalias i8* @calloc(i64, i64) #1
declare noalias i8* @realloc(i8*, i64)
declare noalias i8* @reallocarray(i8*, i64, i64)
declare void @free(i8*) #1
declare noalias i8* @aligned_alloc(i64, i64)
declare i32 @posix_memalign(i8**, i64, i64)
declare noalias i8* @memalign(i64, i64)
declare noalias i8* @valloc(i64)
declare noalias i8* @pvalloc(i64)
declare noalias i8* @strdup(i8*)
declare noalias i8* @strndup(i8*, i64)
declare noalias i32* @wcsdup(i32*)

; CHECK: @llvm.global_ctors = appending global {{.*}} { i32 1, {{.*}}@tm.module_ctor{{.*}}@tm.module_ctor
; CHECK-LABEL: define void @all(
define void @all(i64 %n, i8* %s, i8** %pp, i32* %w) {
; CHECK: %a = call noalias {{i8\*|ptr}} @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %a = call noalias i8* @malloc(i64 %n)
; CHECK: %b = call {{i8\*|ptr}} @__tm_calloc(i64 1, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %b = call i8* @calloc(i64 1, i64 %n)
; CHECK: %c = call {{i8\*|ptr}} @__tm_realloc({{i8\*|ptr}} %a, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %c = call i8* @realloc(i8* %a, i64 %n)
; CHECK: %d = call {{i8\*|ptr}} @__tm_reallocarray({{i8\*|ptr}} %c, i64 2, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %d = call i8* @reallocarray(i8* %c, i64 2, i64 %n)
; CHECK: call void @__tm_free({{i8\*|ptr}} %d, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @free(i8* %d)
; CHECK: %e = call {{i8\*|ptr}} @__tm_aligned_alloc(i64 64, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %e = call i8* @aligned_alloc(i64 64, i64 %n)
; CHECK: %f = call i32 @__tm_posix_memalign({{i8\*\*|ptr}} %pp, i64 64, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %f = call i32 @posix_memalign(i8** %pp, i64 64, i64 %n)
; CHECK: %g = call {{i8\*|ptr}} @__tm_memalign(i64 64, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %g = call i8* @memalign(i64 64, i64 %n)
; CHECK: %h = call {{i8\*|ptr}} @__tm_valloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %h = call i8* @valloc(i64 %n)
; CHECK: %i = call {{i8\*|ptr}} @__tm_pvalloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %i = call i8* @pvalloc(i64 %n)
; CHECK: %j = call {{i8\*|ptr}} @__tm_strdup({{i8\*|ptr}} %s, {{i8\*|ptr}} {{.*}}@__tm_sites
  %j = call i8* @strdup(i8* %s)
; CHECK: %k = call {{i8\*|ptr}} @__tm_strndup({{i8\*|ptr}} %s, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %k = call i8* @strndup(i8* %s, i64 %n)
; CHECK: %l = call {{i32\*|ptr}} @__tm_wcsdup({{i32\*|ptr}} %w, {{i8\*|ptr}} {{.*}}@__tm_sites
  %l = call i32* @wcsdup(i32* %w)
; A function that only calls allocation functions needs no shadow frame.
; CHECK-NOT: __tm_shadow
; CHECK: ret void
  ret void
}

; The hooks are declared exactly once each, without attributes.
; CHECK-DAG: declare {{i8\*|ptr}} @__tm_malloc(i64, {{i8\*|ptr}}){{$}}
; CHECK-DAG: declare {{i8\*|ptr}} @__tm_calloc(i64, i64, {{i8\*|ptr}}){{$}}
; CHECK-DAG: declare void @__tm_free({{i8\*|ptr}}, {{i8\*|ptr}}){{$}}
; CHECK-DAG: declare i32 @__tm_posix_memalign({{i8\*\*|ptr}}, i64, i64, {{i8\*|ptr}}){{$}}
; CHECK-DAG: declare {{i32\*|ptr}} @__tm_wcsdup({{i32\*|ptr}}, {{i8\*|ptr}}){{$}}
; The module constructor checks the ABI version at link time, and registers
; the image's site section; the destructor withdraws it.
; CHECK: define linkonce_odr hidden void @tm.module_ctor() {{.*}}comdat
; CHECK-NEXT: call void @__tm_module_init_v4({{.*}}@__start_tm_sites, {{.*}}@__stop_tm_sites)
; CHECK: define linkonce_odr hidden void @tm.module_dtor() {{.*}}comdat
; CHECK-NEXT: call void @__tm_module_fini_v4({{.*}}@__start_tm_sites, {{.*}}@__stop_tm_sites)

attributes #0 = { nounwind allocsize(0) "alloc-family"="malloc" }
attributes #1 = { nounwind "alloc-family"="malloc" }
