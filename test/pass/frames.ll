; The frame code itself (TM_PASS_UNTRACED_COPY=0: one body that always pushes;
; untraced-copy.ll checks the untraced entry and the traced copy).
; Which functions push a shadow frame: only those making a call below which
; something may allocate. Leaf, readnone/readonly, "only known non-allocating
; calls", and functions that only reach non-allocating code (recursive fib)
; get nothing; indirect calls and unknown externals store their slot.
; RUN: env TM_PASS_UNTRACED_COPY=0 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s > %t
; RUN: FileCheck %s < %t
; RUN: FileCheck %s --check-prefix=TABLE < %t
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @ext()
declare void @ext_ro() readonly
declare i64 @strlen(i8*)
declare void @llvm.memcpy.p0i8.p0i8.i64(i8* noalias nocapture writeonly, i8* noalias nocapture readonly, i64, i1 immarg)

; CHECK-LABEL: define i32 @leaf(
; CHECK-NOT: __tm_
; CHECK: ret i32
define i32 @leaf(i32 %x) {
  %y = add i32 %x, 1
  ret i32 %y
}

; CHECK-LABEL: define void @readnone_fn(
; CHECK-NOT: __tm_
; CHECK: ret void
define void @readnone_fn() readnone {
  call void @ext()
  ret void
}

; CHECK-LABEL: define void @readonly_fn(
; CHECK-NOT: __tm_
; CHECK: ret void
define void @readonly_fn() readonly {
  call void @ext_ro()
  ret void
}

; CHECK-LABEL: define i64 @only_known(
; CHECK-NOT: __tm_
; CHECK: ret i64
define i64 @only_known(i8* %d, i8* %s) {
  %n = call i64 @strlen(i8* %s)
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
  ret i64 %n
}

; CHECK-LABEL: define i32 @fib(
; CHECK-NOT: __tm_
; CHECK: ret i32
define i32 @fib(i32 %n) {
  %c = icmp slt i32 %n, 2
  br i1 %c, label %done, label %rec
rec:
  %a = sub i32 %n, 1
  %fa = call i32 @fib(i32 %a)
  %b = sub i32 %n, 2
  %fb = call i32 @fib(i32 %b)
  %s = add i32 %fa, %fb
  ret i32 %s
done:
  ret i32 %n
}

; CHECK-LABEL: define i32 @calls_fib(
; CHECK-NOT: __tm_
; CHECK: ret i32
define i32 @calls_fib() {
  %r = call i32 @fib(i32 20)
  ret i32 %r
}

; Only allocation calls: the site is an argument, no frame needed; the hook
; site has no OWN_FRAME flag.
; CHECK-LABEL: define {{i8\*|ptr}} @only_hooks(
; CHECK-NOT: __tm_shadow
; CHECK: call {{i8\*|ptr}} @__tm_malloc(
; CHECK-NOT: __tm_shadow
; CHECK: ret
define i8* @only_hooks(i64 %n) {
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}

; Calls a local function that may allocate: frame + slot store.
; CHECK-LABEL: define {{i8\*|ptr}} @calls_local_alloc(
; CHECK: load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: store {{i8\*|ptr}} {{.*}}@__tm_sites{{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: store atomic {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top release
; CHECK-NEXT: call {{i8\*|ptr}} @only_hooks(
define i8* @calls_local_alloc() {
  %p = call i8* @only_hooks(i64 8)
  ret i8* %p
}

; A recursive walk that calls an unknown external: frame, and a slot store
; before the first call that may allocate (@ext). The recursive call's site
; is the same one (no debug info: the function has one site) and the
; record holds it already: no second store (site-delta.ll checks two sites).
; CHECK-LABEL: define void @walk(
; CHECK: %tm.prev = load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; CHECK: store {{i8\*|ptr}} {{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: call void @ext()
; CHECK-NOT: %tm.sitep
; CHECK: call void @walk(
; CHECK: %tm.prev.back{{[0-9]*}} = load {{i8\*|ptr}}, {{i8\*\*|ptr}} %tm.prevp
; CHECK-NEXT: store {{i8\*|ptr}} %tm.prev.back{{[0-9]*}}, {{.*}}@__tm_shadow_top
; CHECK-NEXT: ret void
define void @walk(i32 %n) {
  call void @ext()
  %c = icmp eq i32 %n, 0
  br i1 %c, label %done, label %rec
rec:
  %m = sub i32 %n, 1
  call void @walk(i32 %m)
  br label %done
done:
  ret void
}

; An indirect call (maybe malloc through a pointer, caught by the runtime's
; interposition) stores its slot: the caller's line is the traceback.
; CHECK-LABEL: define {{i8\*|ptr}} @indirect(
; CHECK: store {{i8\*|ptr}} {{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: store atomic {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top release
; CHECK-NEXT: %p = call {{i8\*|ptr}} %fp(i64 16)
define i8* @indirect(i8* (i64)* %fp) {
  %p = call i8* %fp(i64 16)
  ret i8* %p
}

; Mixed: a frame, and the hook site flagged OWN_FRAME (1), the slot site not.
; CHECK-LABEL: define {{i8\*|ptr}} @mixed(
; CHECK: store {{i8\*|ptr}} {{.*}}, {{i8\*\*|ptr}} %tm.sitep, align 8
; CHECK-NEXT: store atomic {{i8\*|ptr}} %tm.rec{{p?}}, {{.*}}@__tm_shadow_top release
; CHECK-NEXT: call void @ext()
; CHECK: call {{i8\*|ptr}} @__tm_malloc(i64 %n, {{i8\*|ptr}} {{.*}}@__tm_sites
define i8* @mixed(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}
; TABLE: @__tm_sites{{.*}} = private constant [2 x {{.*}}] [{{.*}} i32 0, i32 0, i32 3, i32 0 }, {{.*}} i32 0, i32 0, i32 2, i32 0 }]
