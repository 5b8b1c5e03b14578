; Options: site-only mode (pipeline parameter, flag, environment) rewrites the
; allocation calls but pushes no frame; skip-files (flag, environment) leaves
; a matching module alone; a bad glob is reported. (opt 14 parses its
; command line before -load-pass-plugin loads the plugin: -load makes the
; -tm-* flags known in time, on every version.)
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument<site-only>,verify' -S %s | FileCheck %s --check-prefixes=COMMON,SITE
; RUN: %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -tm-site-only -S %s | FileCheck %s --check-prefixes=COMMON,SITE
; RUN: env TM_PASS_SITE_ONLY=1 %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefixes=COMMON,SITE
; RUN: env TM_PASS_SITE_ONLY=1 %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -tm-site-only=false -S %s | FileCheck %s --check-prefixes=COMMON,FRAME
; RUN: %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefixes=COMMON,FRAME
; RUN: %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -tm-skip-files='*/vendor/*' -S %s | FileCheck %s --check-prefix=SKIP
; RUN: env TM_PASS_SKIP_FILES='*.h,*/vendor/*.c' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=SKIP
; A glob without '/' matches the base name too: "lib.c" skips /src/vendor/lib.c, "lib" does not.
; RUN: env TM_PASS_SKIP_FILES='lib.c' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefix=SKIP
; RUN: env TM_PASS_SKIP_FILES='lib,vendor' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefixes=COMMON,FRAME
; RUN: env TM_PASS_SKIP_FILES='*/other/*' %opt -load-pass-plugin=%tm_plugin -passes='tm-instrument,verify' -S %s | FileCheck %s --check-prefixes=COMMON,FRAME
; RUN: not %opt -load=%tm_plugin -load-pass-plugin=%tm_plugin -passes='tm-instrument' -tm-skip-files='[z-a' -S %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=BADGLOB
source_filename = "/src/vendor/lib.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

declare i8* @malloc(i64)
declare void @ext()

; COMMON-LABEL: define {{i8\*|ptr}} @f(
; SITE-NOT: __tm_shadow
; FRAME: load {{i8\*|ptr}}, {{.*}}@__tm_shadow_top
; COMMON: call {{i8\*|ptr}} @__tm_malloc(
; SKIP-NOT: __tm_
define i8* @f(i64 %n) {
  call void @ext()
  %p = call i8* @malloc(i64 %n)
  ret i8* %p
}
; BADGLOB: error: tracemalloc: bad pattern '[z-a' in TM_PASS_SKIP_FILES/-tm-skip-files
