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
; CHECK: @__tm_shadow = external thread_local(initialexec) global { i64, {{i8\*\*|ptr}} }

; CHECK-LABEL: define {{i8\*|ptr}} @f(
define i8* @f(i64 %n) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
; CHECK: %[[D:.*]] = load i64, {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: %[[OWN:.*]] = add i64 %[[D]], 1
; CHECK-NEXT: store i64 %[[OWN]], {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: %[[FR:.*]] = load {{i8\*\*|ptr}}, {{.*}}@__tm_shadow, i32 0, i32 1)
; CHECK-NEXT: %[[IX:.*]] = and i64 %[[OWN]], 1048575
; CHECK-NEXT: %[[SLOT:.*]] = getelementptr {{i8\*|ptr}}, {{i8\*\*|ptr}} %[[FR]], i64 %[[IX]]
; CHECK-NEXT: store atomic {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %[[SLOT]] monotonic, align 8
; CHECK-NEXT: call void @may_throw()
  call void @may_throw()
; CHECK-NEXT: %p = invoke noalias nonnull {{i8\*|ptr}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
; CHECK-NEXT: to label %ok unwind label %lp
  %p = invoke noalias nonnull i8* @_Znwm(i64 %n)
          to label %ok unwind label %lp
ok:
; CHECK: ok:
; CHECK-NEXT: store i64 %[[D]], {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: ret
  ret i8* %p
lp:
; CHECK: lp:
; CHECK-NEXT: %e = landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: store i64 %[[OWN]], {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: store i64 %[[D]], {{.*}}@__tm_shadow{{.*}}
; CHECK-NEXT: resume
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}
