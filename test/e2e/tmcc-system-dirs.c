// tmcc passes the directories the command line makes system directories
// (-isystem, -idirafter, --sysroot) to the pass, which folds their frames
// into the user's line, at -O0 (sdk_make is a function of its own) and -O2
// (inlined). Included with -I, sdk.h is the user's own code: its frame stays.
// File names are absolute and normalised: this file is compiled as
// ../x/./y.c from another directory.
// REQUIRES: runtime
// RUN: rm -rf %t.d && mkdir -p %t.d/build %t.d/x %t.d/sysinc
// RUN: cp %s %t.d/x/y.c && cp %S/Inputs/sysinc/sdk.h %t.d/sysinc/
// RUN: cd %t.d/build && %tmcc -I%S -O0 -isystem ../sysinc ../x/./y.c -o %t.sys0
// RUN: env TRACEMALLOC=1 %t.sys0 | FileCheck %s --check-prefix=SYS
// RUN: cd %t.d/build && %tmcc -I%S -O2 -isystem../sysinc ../x/./y.c -o %t.sys2
// RUN: env TRACEMALLOC=1 %t.sys2 | FileCheck %s --check-prefix=SYS
// RUN: cd %t.d/build && %tmcc -I%S -O0 -idirafter ../sysinc ../x/./y.c -o %t.after
// RUN: env TRACEMALLOC=1 %t.after | FileCheck %s --check-prefix=SYS
// RUN: cd %t.d/build && %tmcc -I%S -O0 -I ../sysinc ../x/./y.c -o %t.user0
// RUN: env TRACEMALLOC=1 %t.user0 | FileCheck %s --check-prefix=USER
// RUN: cd %t.d/build && %tmcc -I%S -O2 -I ../sysinc ../x/./y.c -o %t.user2
// RUN: env TRACEMALLOC=1 %t.user2 | FileCheck %s --check-prefix=USER
#include "Inputs/tm_test.h"
#include <sdk.h>

int main(void) {
  tmt_sink = sdk_make(77);
  // SYS: y.c:[[#@LINE-1]] main clean
  // USER: sdk.h:9 sdk_make clean
  tm_traceback_t *tb = NULL;
  if (tm_get_object_traceback(tmt_sink, &tb) != TM_OK || !tb) {
    printf("untraced\n");
    return 1;
  }
  const tm_frame_t *f = tm_traceback_frames(tb);
  const char *name = f[0].filename;
  int clean = name[0] == '/' && !strstr(name, "/./") &&
              !strstr(name, "/../") && !strstr(name, "//");
  printf("%s:%u %s %s\n", tmt_base(name), f[0].lineno,
         f[0].function ? f[0].function : "?", clean ? "clean" : name);
  tm_traceback_free(tb);
  return 0;
}
