; An invoked operator new stays an invoke; the landing pad makes the
; function's own record the top again, `ret` and `resume` restore its prev;
; the hook site carries TM_SITE_OWN_FRAME because the function pushed a frame.
; A call or invoke of an external function makes the record the top again
; when it returns (after the call; on an invoke's normal edge, split when
; its destination has another predecessor).
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @_Znwm(i64)
declare void @may_throw()
declare i32 @__gxx_personality_v0(...)

; Sites without debug info: the slot site (NO_DEBUG = 2) and the hook site
; (NO_DEBUG | OWN_FRAME = 3).
; CHECK: @__tm_sites = private constant [2 x {{.*}}] [{{.*}} i32 0, i32 0, i32 3, i32 0 }, {{.*}} i32 0, i32 0, i32 2, i32 0 }], section "tm_sites", align 8
; CHECK: @__tm_shadow_top = external thread_local(initialexec) global {{i8\*|ptr}}

; CHECK-LABEL: define {{i8\*|ptr}} @f(
define i8* @f(i64 %n) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
; CHECK: %tm.rec = alloca { {{i8\*|ptr}}, {{i8\*|ptr}} }, align 8
; CHECK: %tm.prevp = getelementptr inbounds {{(nuw )?}}{ {{i8\*|ptr}}, {{i8\*|ptr}} }, {{.*}}%tm.rec, i32 0, i32 0
; CHECK-NEXT: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev, {{i8\*\*|ptr}} %tm.prevp, align 8
; CHECK-NEXT: %tm.sitep = getelementptr inbounds {{(nuw )?}}{ {{i8\*|ptr}}, {{i8\*|ptr}} }, {{.*}}%tm.rec, i32 0, i32 1
; CHECK-NEXT: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: store atomic {{i8\*|ptr}} %[[REC:tm.recp?]], {{.*}}@__tm_shadow_top release, align 8
; CHECK-NEXT: call void @may_throw()
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC]], {{.*}}@__tm_shadow_top, align 8
  call void @may_throw()
; CHECK-NEXT: %p = invoke noalias nonnull {{i8\*|ptr}} @__tm__Znwm(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
; CHECK-NEXT: to label %ok unwind label %lp
  %p = invoke noalias nonnull i8* @_Znwm(i64 %n)
          to label %ok unwind label %lp
ok:
; CHECK: ok:
; CHECK-NEXT: %[[B1:tm.prev.back[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %[[B1]], {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret
  ret i8* %p
lp:
; CHECK: lp:
; CHECK-NEXT: %e = landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC]], {{.*}}@__tm_shadow_top
; CHECK-NEXT: %[[B2:tm.prev.back[0-9]*]] = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %[[B2]], {{.*}}@__tm_shadow_top
; CHECK-NEXT: resume
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}

; CHECK-LABEL: define void @g(
define void @g(i1 %c) personality i8* bitcast (i32 (...)* @__gxx_personality_v0 to i8*) {
entry:
  br i1 %c, label %call, label %join
call:
; CHECK: invoke void @may_throw()
; CHECK-NEXT: to label %[[MID:.*]] unwind label %lp
  invoke void @may_throw()
          to label %join unwind label %lp
; CHECK: [[MID]]:
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC2:tm.recp?]], {{.*}}@__tm_shadow_top, align 8
; CHECK-NEXT: br label %join
join:
  ret void
lp:
; CHECK: lp:
; CHECK-NEXT: %e = landingpad
; CHECK-NEXT: cleanup
; CHECK-NEXT: store {{i8\*|ptr}} %[[REC2]], {{.*}}@__tm_shadow_top
  %e = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %e
}
