; Every C++ replaceable operator new/delete of tracemalloc_hooks.def (plain
; new-expressions and direct ::operator calls alike: matched by callee name)
; becomes __tm_<mangled>(args..., site).
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%"struct.std::nothrow_t" = type { i8 }
@nt = external global %"struct.std::nothrow_t"

declare i8* @_Znwm(i64)
declare i8* @_Znam(i64)
declare i8* @_ZnwmRKSt9nothrow_t(i64, %"struct.std::nothrow_t"*)
declare i8* @_ZnamRKSt9nothrow_t(i64, %"struct.std::nothrow_t"*)
declare i8* @_ZnwmSt11align_val_t(i64, i64)
declare i8* @_ZnamSt11align_val_t(i64, i64)
declare i8* @_ZnwmSt11align_val_tRKSt9nothrow_t(i64, i64, %"struct.std::nothrow_t"*)
declare i8* @_ZnamSt11align_val_tRKSt9nothrow_t(i64, i64, %"struct.std::nothrow_t"*)
declare void @_ZdlPv(i8*)
declare void @_ZdaPv(i8*)
declare void @_ZdlPvm(i8*, i64)
declare void @_ZdaPvm(i8*, i64)
declare void @_ZdlPvRKSt9nothrow_t(i8*, %"struct.std::nothrow_t"*)
declare void @_ZdaPvRKSt9nothrow_t(i8*, %"struct.std::nothrow_t"*)
declare void @_ZdlPvSt11align_val_t(i8*, i64)
declare void @_ZdaPvSt11align_val_t(i8*, i64)
declare void @_ZdlPvSt11align_val_tRKSt9nothrow_t(i8*, i64, %"struct.std::nothrow_t"*)
declare void @_ZdaPvSt11align_val_tRKSt9nothrow_t(i8*, i64, %"struct.std::nothrow_t"*)
declare void @_ZdlPvmSt11align_val_t(i8*, i64, i64)
declare void @_ZdaPvmSt11align_val_t(i8*, i64, i64)

; CHECK-LABEL: define void @all(
define void @all(i64 %n, i8* %p) {
; CHECK: %r0 = call {{i8\*|ptr}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r0 = call i8* @_Znwm(i64 %n) #0
; CHECK: %r1 = call {{i8\*|ptr}} @__tm__Znam(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r1 = call i8* @_Znam(i64 %n)
; CHECK: %r2 = call {{i8\*|ptr}} @__tm__ZnwmRKSt9nothrow_t(i64 %n, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r2 = call i8* @_ZnwmRKSt9nothrow_t(i64 %n, %"struct.std::nothrow_t"* @nt)
; CHECK: %r3 = call {{i8\*|ptr}} @__tm__ZnamRKSt9nothrow_t(i64 %n, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r3 = call i8* @_ZnamRKSt9nothrow_t(i64 %n, %"struct.std::nothrow_t"* @nt)
; CHECK: %r4 = call {{i8\*|ptr}} @__tm__ZnwmSt11align_val_t(i64 %n, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r4 = call i8* @_ZnwmSt11align_val_t(i64 %n, i64 64)
; CHECK: %r5 = call {{i8\*|ptr}} @__tm__ZnamSt11align_val_t(i64 %n, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r5 = call i8* @_ZnamSt11align_val_t(i64 %n, i64 64)
; CHECK: %r6 = call {{i8\*|ptr}} @__tm__ZnwmSt11align_val_tRKSt9nothrow_t(i64 %n, i64 64, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r6 = call i8* @_ZnwmSt11align_val_tRKSt9nothrow_t(i64 %n, i64 64, %"struct.std::nothrow_t"* @nt)
; CHECK: %r7 = call {{i8\*|ptr}} @__tm__ZnamSt11align_val_tRKSt9nothrow_t(i64 %n, i64 64, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  %r7 = call i8* @_ZnamSt11align_val_tRKSt9nothrow_t(i64 %n, i64 64, %"struct.std::nothrow_t"* @nt)
; CHECK: call void @__tm__ZdlPv({{i8\*|ptr}} %p, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPv(i8* %p)
; CHECK: call void @__tm__ZdaPv({{i8\*|ptr}} %p, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPv(i8* %p)
; CHECK: call void @__tm__ZdlPvm({{i8\*|ptr}} %p, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPvm(i8* %p, i64 %n)
; CHECK: call void @__tm__ZdaPvm({{i8\*|ptr}} %p, i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPvm(i8* %p, i64 %n)
; CHECK: call void @__tm__ZdlPvRKSt9nothrow_t({{i8\*|ptr}} %p, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPvRKSt9nothrow_t(i8* %p, %"struct.std::nothrow_t"* @nt)
; CHECK: call void @__tm__ZdaPvRKSt9nothrow_t({{i8\*|ptr}} %p, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPvRKSt9nothrow_t(i8* %p, %"struct.std::nothrow_t"* @nt)
; CHECK: call void @__tm__ZdlPvSt11align_val_t({{i8\*|ptr}} %p, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPvSt11align_val_t(i8* %p, i64 64)
; CHECK: call void @__tm__ZdaPvSt11align_val_t({{i8\*|ptr}} %p, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPvSt11align_val_t(i8* %p, i64 64)
; CHECK: call void @__tm__ZdlPvSt11align_val_tRKSt9nothrow_t({{i8\*|ptr}} %p, i64 64, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPvSt11align_val_tRKSt9nothrow_t(i8* %p, i64 64, %"struct.std::nothrow_t"* @nt)
; CHECK: call void @__tm__ZdaPvSt11align_val_tRKSt9nothrow_t({{i8\*|ptr}} %p, i64 64, {{.*}}@nt, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPvSt11align_val_tRKSt9nothrow_t(i8* %p, i64 64, %"struct.std::nothrow_t"* @nt)
; CHECK: call void @__tm__ZdlPvmSt11align_val_t({{i8\*|ptr}} %p, i64 %n, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdlPvmSt11align_val_t(i8* %p, i64 %n, i64 64)
; CHECK: call void @__tm__ZdaPvmSt11align_val_t({{i8\*|ptr}} %p, i64 %n, i64 64, {{i8\*|ptr}} {{.*}}@__tm_sites
  call void @_ZdaPvmSt11align_val_t(i8* %p, i64 %n, i64 64)
; CHECK-NOT: call {{.*}} @_Z
; CHECK: ret void
  ret void
}

; No call-site function attributes survive (`builtin` marks new-expressions).
; CHECK-NOT: attributes #0 = { builtin }
attributes #0 = { builtin }
