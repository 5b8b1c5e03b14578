; A module that defines malloc (a custom allocator) keeps its calls to it;
; other allocation functions are still rewritten.
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

@arena = global [4096 x i8] zeroinitializer
declare i8* @strdup(i8*)

define i8* @malloc(i64 %n) {
  ret i8* getelementptr inbounds ([4096 x i8], [4096 x i8]* @arena, i64 0, i64 0)
}

; CHECK-LABEL: define {{i8\*|ptr}} @user(
; CHECK: call {{i8\*|ptr}} @malloc(i64 %n)
; CHECK: call {{i8\*|ptr}} @__tm_strdup(
define i8* @user(i64 %n, i8* %s) {
  %p = call i8* @malloc(i64 %n)
  %q = call i8* @strdup(i8* %s)
  ret i8* %p
}
