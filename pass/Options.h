/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- Options.h - user configuration of the pass
//---------------------------===//
//
// Two ways in, one result:
//   * cl::opt flags (-tm-site-only, -tm-skip-files=GLOBS, -tm-system-frames,
//     -tm-system-dirs=DIRS, -tm-debug), usable
//     with `opt`, with `clang -Xclang -load -Xclang libtmpass.so -mllvm ...`,
//     and with plain `-mllvm` from LLVM 22 on;
//   * environment variables (TM_PASS_SITE_ONLY, TM_PASS_SKIP_FILES,
//     TM_PASS_LOCAL_EXEC,
//     TM_PASS_SYSTEM_FRAMES, TM_PASS_SYSTEM_DIRS, TM_PASS_DEBUG), because
//     before LLVM 22 clang rejects
//     `-mllvm <plugin flag>` when the plugin is loaded with -fpass-plugin
//     alone.
// A flag given on the command line wins over the environment; the pipeline
// parameter `tm-instrument<site-only>` wins over both.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_OPTIONS_H
#define TM_PASS_OPTIONS_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace tmpass {

struct Options {
  // Rewrite allocation calls only: no shadow stack, tracebacks are the
  // allocation site (with its inlined frames) alone.
  bool SiteOnly = false;
  // Every frame pushed whether or not tracing is on (ABI v2's code): no
  // untraced entry, no traced copy. For measuring, and for tests that look
  // at the frame code alone.
  bool NoUntracedCopy = false;
  // __tm_shadow_top is reached local-exec (%fs:sym@tpoff) instead of
  // initial-exec: only right when the module ends up in an executable that
  // also contains the runtime's definition (tmcc linking libtracemalloc.a),
  // which the pass cannot know, so tmcc says it.
  bool LocalExec = false;
  // Source files (module source file name, or the file of a function's
  // DISubprogram) matching one of these globs are not instrumented. Kept as
  // text: a GlobPattern may point into the string it was made from (LLVM
  // 17+), so it is made where it is used.
  std::vector<std::string> SkipFiles;
  // Keep the frames of system headers (SystemHeaders.h) instead of folding
  // them into the nearest user frame.
  bool SystemFrames = false;
  // Directories whose files are system headers besides the built-in list
  // (SystemHeaders.cpp): absolute, normalised, no trailing '/'. tmcc passes
  // the user's -isystem, -idirafter and --sysroot directories here.
  std::vector<std::string> SystemDirs;

  // Flags, then environment. Returns an error text for a bad glob ("" if ok).
  static Options fromCommandLineAndEnv(std::string &Error);

  bool isSkippedFile(llvm::StringRef Path) const;
};

// -tm-debug / TM_PASS_DEBUG=1: print the pass's decisions (Debug.h). Not a
// field of Options: every file of the pass asks, including the ones that
// never see the Options of a run.
bool debugOutputRequested();

} // namespace tmpass

#endif // TM_PASS_OPTIONS_H
