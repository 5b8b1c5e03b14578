; The decision trace (-tm-debug, TM_PASS_DEBUG=1; pass/Debug.h): why each
; function is instrumented or not, why it has a frame or none, where the
; frame is pushed and popped, and each allocation call rewritten with its
; site, own-frame flag and constant or loaded site. Without the switch the
; pass prints nothing.
; RUN: %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -tm-debug -disable-output %s 2>&1 | FileCheck %s
; RUN: env TM_PASS_DEBUG=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -disable-output %s 2>&1 | FileCheck %s
; RUN: env TM_PASS_DEBUG=1 %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument' -tm-debug=false -disable-output %s 2>&1 | count 0
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -disable-output %s 2>&1 | count 0
; RUN: env TM_PASS_DEBUG=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument<site-only>' -disable-output %s 2>&1 | FileCheck %s --check-prefix=SITE
; RUN: env TM_PASS_DEBUG=1 TM_PASS_SKIP_FILES='/src/*' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -disable-output %s 2>&1 | FileCheck %s --check-prefix=SKIP
; RUN: env TM_PASS_DEBUG=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-mark-skips' -disable-output %s 2>&1 | FileCheck %s --check-prefix=MARK
; Instrumenting twice changes nothing: the second run says so.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -S %s -o %t.ll
; RUN: env TM_PASS_DEBUG=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument' -disable-output %t.ll 2>&1 | FileCheck %s --check-prefix=TWICE --implicit-check-not="-> '__tm_" --implicit-check-not="module constructor '"
source_filename = "/src/dbg.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@.str = private unnamed_addr constant [8 x i8] c"tm_skip\00", section "llvm.metadata"
@.file = private unnamed_addr constant [6 x i8] c"dbg.c\00", section "llvm.metadata"
@llvm.global.annotations = appending global [1 x { i8*, i8*, i8*, i32, i8* }] [{ i8*, i8*, i8*, i32, i8* } { i8* bitcast (i8* ()* @skipped to i8*), i8* getelementptr inbounds ([8 x i8], [8 x i8]* @.str, i32 0, i32 0), i8* getelementptr inbounds ([6 x i8], [6 x i8]* @.file, i32 0, i32 0), i32 1, i8* null }], section "llvm.metadata"

declare i8* @malloc(i64)
declare void @ext()
declare i32 @__gxx_personality_v0(...)

; The call graph first: who may allocate, and through what.
; CHECK: tm-instrument: 'one' may allocate: calls 'ext'
; CHECK: tm-instrument: 'calls_one' may allocate: calls 'one', which may
; CHECK: tm-instrument: module '{{.*}}debug-output.ll{{.*}}'
; SITE: tm-instrument: module '{{.*}}', site-only
; SKIP: tm-instrument: module '{{.*}}', skip-files

; CHECK-NEXT: tm-instrument: 'leaf': no frame: no call may allocate below it
; CHECK-NEXT: tm-instrument: 'leaf': no allocation call, no frame: unchanged
define i64 @leaf(i64 %x) {
  %y = add i64 %x, 1
  ret i64 %y
}

; CHECK-NEXT: tm-instrument: 'one': frame: 1 call(s) may allocate below it
; CHECK-NEXT: tm-instrument:   slot store before call to 'ext' at dbg.c:3:3
; CHECK-NEXT: tm-instrument: 'one': dispatch; frame in its traced copy 'one.tm_traced', called while __tm_tracing_flag is set, else its untraced copy 'one.tm_untraced'
; CHECK-NEXT: tm-instrument: 'one.tm_traced': frame: 1 call(s) may allocate below it
; CHECK-NEXT: tm-instrument:   slot store before call to 'ext' at dbg.c:3:3
; CHECK-NEXT: tm-instrument: 'one.tm_traced': push in %entry (dominates the 1 call(s) and landing pad(s) needing the frame)
; CHECK-NEXT: tm-instrument: 'one.tm_traced': region of 1 block(s) from %entry, popped on 0 edge(s) out of it and at its exits
; CHECK-NEXT: tm-instrument: 'one.tm_traced': one storing call: its site is stored once, at the push
; CHECK-NEXT: tm-instrument: 'one.tm_traced': 1 pop(s), 0 landing pad(s), 0 returns_twice call(s) and 1 call(s) into uninstrumented code set the top back to the own record
; CHECK-NEXT: tm-instrument: 'one.tm_traced': call 'malloc' -> '__tm_malloc' at dbg.c:4:10 in %entry, own frame, site constant
; CHECK-NEXT: tm-instrument: 'one': call 'malloc' -> '__tm_malloc' at dbg.c:4:10 in %entry, no own frame, site constant
; SITE: tm-instrument: 'one': no frame: site-only mode
; SITE-NEXT: tm-instrument: 'one': call 'malloc' -> '__tm_malloc' at dbg.c:4:10 in %entry, no own frame, site constant
; SKIP: tm-instrument: 'one': not instrumented: skipped file (module source)
define i8* @one() !dbg !5 {
entry:
  call void @ext(), !dbg !6
  %p = call i8* @malloc(i64 8), !dbg !7
  ret i8* %p
}

; CHECK-NEXT: tm-instrument: 'calls_one': frame: 1 call(s) may allocate below it
; CHECK-NEXT: tm-instrument:   slot store before call to 'one' at <no location>
define void @calls_one() {
  %p = call i8* @one()
  ret void
}

; The only call allocates: no frame; on a cycle, the site is loaded.
; CHECK: tm-instrument: 'loop': no frame: no call may allocate below it
; CHECK-NEXT: tm-instrument: 'loop': call 'malloc' -> '__tm_malloc' at <no location> in %body, no own frame, site loaded (on a cycle)
define void @loop(i64 %n) {
entry:
  br label %body

body:
  %i = phi i64 [ 0, %entry ], [ %i.next, %body ]
  %p = call i8* @malloc(i64 %i)
  %i.next = add i64 %i, 1
  %done = icmp eq i64 %i.next, %n
  br i1 %done, label %exit, label %body

exit:
  ret void
}

; The frame is popped on the edge out of %work: the malloc in %done runs
; without it.
; CHECK: tm-instrument: 'after.tm_traced': push in %work (dominates the 1 call(s) and landing pad(s) needing the frame)
; CHECK-NEXT: tm-instrument: 'after.tm_traced': region of 1 block(s) from %work, popped on 1 edge(s) out of it and at its exits
; CHECK: tm-instrument: 'after.tm_traced': 1 pop(s),
; CHECK-NEXT: tm-instrument: 'after.tm_traced': call 'malloc' -> '__tm_malloc' at <no location> in %done, no own frame, site constant
; CHECK-NEXT: tm-instrument: 'after': call 'malloc' -> '__tm_malloc' at <no location> in %done, no own frame, site constant
define i8* @after(i1 %c) {
entry:
  br i1 %c, label %work, label %done

work:
  call void @ext()
  br label %done

done:
  %p = call i8* @malloc(i64 4)
  ret i8* %p
}

; An invoke's normal edge leaves the region and cannot take a restore: the
; frame lasts to the exits, and the push moves up over the malloc in %cont,
; which it would otherwise precede on one path only.
; CHECK: tm-instrument: 'fallback': no untraced copy: an EH pad
; CHECK-NEXT: tm-instrument: 'fallback': push in %a (dominates the 2 call(s) and landing pad(s) needing the frame)
; CHECK-NEXT: tm-instrument: 'fallback': edge %a -> %cont out of the region cannot take a restore (invoke)
; CHECK-NEXT: tm-instrument: 'fallback': push hoisted to %entry over the hook call in %cont (it may or may not run after the push)
; CHECK-NEXT: tm-instrument: 'fallback': no region: the frame lasts from %entry to the exits
; CHECK-NEXT: tm-instrument: 'fallback': depth restored on the pushed paths only (2 restore(s))
; CHECK-NEXT: tm-instrument: 'fallback': one storing call: its site is stored once, at the push
; CHECK-NEXT: tm-instrument: 'fallback': 2 pop(s), 1 landing pad(s), 0 returns_twice call(s) and 1 call(s) into uninstrumented code set the top back to the own record
; CHECK-NEXT: tm-instrument: 'fallback': call 'malloc' -> '__tm_malloc' at <no location> in %cont, own frame, site constant
define i8* @fallback(i1 %c) personality i32 (...)* @__gxx_personality_v0 {
entry:
  br i1 %c, label %a, label %cont

a:
  call void @ext()
  invoke void @nothing() to label %cont unwind label %lpad

cont:
  %p = call i8* @malloc(i64 2)
  ret i8* %p

lpad:
  %lp = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %lp
}

define void @nothing() {
  ret void
}

; CHECK: tm-instrument: 'ro': no frame: readonly/readnone
define i8* @ro() readonly {
  call void @ext()
  %p = call i8* @malloc(i64 1)
  ret i8* %p
}

; CHECK: tm-instrument: 'naked': not instrumented: naked
define void @naked() naked {
  call void @ext()
  ret void
}

; CHECK: tm-instrument: 'skipped': not instrumented: annotate("tm_skip")
; MARK: tm-instrument: 'skipped': annotate("tm_skip"): made noinline
define i8* @skipped() {
  %p = call i8* @malloc(i64 3)
  ret i8* %p
}

; CHECK: tm-instrument: '__tm_own': not instrumented: runtime function (__tm_*)
define void @__tm_own() {
  call void @ext()
  ret void
}

; CHECK: tm-instrument: module constructor 'tm.module_ctor' calling '__tm_module_init_v4'
; SITE: tm-instrument: module constructor
; SKIP-NOT: module constructor

; TWICE: tm-instrument: 'one': not instrumented: already instrumented
; TWICE: tm-instrument: 'tm.module_ctor': not instrumented: already instrumented

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}

!0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, producer: "clang", isOptimized: true, runtimeVersion: 0, emissionKind: LineTablesOnly)
!1 = !DIFile(filename: "dbg.c", directory: "/src")
!2 = !DISubroutineType(types: !{})
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!5 = distinct !DISubprogram(name: "one", scope: !1, file: !1, line: 2, type: !2, unit: !0)
!6 = !DILocation(line: 3, column: 3, scope: !5)
!7 = !DILocation(line: 4, column: 10, scope: !5)
