; An invoked operator new stays an invoke; the landing pad restores the
; function's own depth (D+1), `ret` and `resume` restore the saved depth D;
; the hook site carries TM_SITE_OWN_FRAME because the function pushed a frame.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @_Znwm(i64)
declare void @may_throw()
declare i32 @__gxx_personality_v0(...)

; Sites without debug info: the slot site (NO_DEBUG = 2) and the hook site
; (NO_DEBUG | OWN_FRAME = 3).
; CHECK: @__tm_sites = private constant [2 x {{.*}}] [{{.*}} i32 0, i32 0, i32 3, i32 0 }, {{.*}} i32 0, i32 0, i32 2, i32 0 }], align 8
; CHECK: @__tm_depth = external thread_local(initialexec) global i64
; CHECK: @__tm_frames = external thread_local(initialexec) global {{i8\*\*|ptr}}
; CHECK: @__tm_frames_cap = external thread_local(initialexec) global i64
; CHECK: @__tm_sink = external thread_local(initialexec) global {{i8\*|ptr}}

; CHECK-LABEL: define {{i8\*|ptr}} @f(
define i8* @f(i64 %n) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
; CHECK: %[[D:.*]] = load i64, {{i64\*|ptr}} @__tm_depth
; CHECK-NEXT: %[[OWN:.*]] = add i64 %[[D]], 1
; CHECK-NEXT: store i64 %[[OWN]], {{i64\*|ptr}} @__tm_depth
; CHECK-NEXT: %[[CAP:.*]] = load i64, {{i64\*|ptr}} @__tm_frames_cap
; CHECK-NEXT: %[[FR:.*]] = load {{i8\*\*|ptr}}, {{i8\*\*\*|ptr}} @__tm_frames
; CHECK-NEXT: %[[IN:.*]] = icmp ult i64 %[[OWN]], %[[CAP]]
; CHECK-NEXT: %[[EL:.*]] = getelementptr {{i8\*|ptr}}, {{i8\*\*|ptr}} %[[FR]], i64 %[[OWN]]
; CHECK-NEXT: %[[SLOT:.*]] = select i1 %[[IN]], {{i8\*\*|ptr}} %[[EL]], {{i8\*\*|ptr}} @__tm_sink
; CHECK-NEXT: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %[[SLOT]]
; CHECK-NEXT: call void @may_throw()
  call void @may_throw()
; CHECK-NEXT: %p = invoke noalias nonnull {{i8\*|ptr}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
; CHECK-NEXT: to label %ok unwind label %lp
  %p = invoke noalias nonnull i8* @_Znwm(i64 %n)
          to label %ok unwind label %lp
ok:
; CHECK: ok:
; CHECK-NEXT: store i64 %[[D]], {{i64\*|ptr}} @__tm_depth
; CHECK-NEXT: ret
  ret i8* %p
lp:
; CHECK: lp:
; CHECK-NEXT: %e = landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: store i64 %[[OWN]], {{i64\*|ptr}} @__tm_depth
; CHECK-NEXT: store i64 %[[D]], {{i64\*|ptr}} @__tm_depth
; CHECK-NEXT: resume
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}
