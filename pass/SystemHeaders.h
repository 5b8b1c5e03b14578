/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
//===- SystemHeaders.h - which source files' frames are folded ------------===//
//
// A traceback should start at the user's line, not in new_allocator.h. So
// the frames of *system headers* are folded the way uninstrumented code is:
// not recorded, their allocations and the calls they make attributed to the
// nearest frame of the user's code, inlined or not.
//
// "System header" is what clang treats as one, but the IR does not say it
// (DIFile has no such bit), so the pass decides from the path:
//   * the built-in directories (SystemHeaders.cpp: /usr/include,
//     /usr/local/include, /usr/lib/gcc, the Debian LLVMs' include and
//     resource directories, libc++'s);
//   * the directories of -tm-system-dirs / TM_PASS_SYSTEM_DIRS, which tmcc
//     fills from the user's -isystem, -idirafter and --sysroot options;
//   * files matching TM_PASS_SKIP_FILES / -tm-skip-files, which are folded
//     the same way once inlined (a skipped function that is not inlined is
//     not instrumented at all, Instrumenter.cpp).
// -tm-system-frames / TM_PASS_SYSTEM_FRAMES=1 keeps the system headers'
// frames (the skip-file globs still fold theirs).
//
// Where it acts (Instrumenter.cpp, SiteTable.cpp):
//   * a function whose DISubprogram is in a folded file gets no frame and no
//     slot stores; its allocation calls are still rewritten, with the site
//     of their nearest user location or, when the whole inlinedAt chain is
//     folded, a null site: the runtime then starts the traceback at the top
//     slot, the user's call into the header, as it does for an allocation
//     from uninstrumented code (tracemalloc_abi.h section 3);
//   * every site (of an allocation or of a slot-storing call) drops the
//     folded locations of its inlinedAt chain, so its innermost frame is the
//     nearest user location.
//
//===----------------------------------------------------------------------===//
#ifndef TM_PASS_SYSTEMHEADERS_H
#define TM_PASS_SYSTEMHEADERS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

namespace llvm {
class DILocation;
class DIScope;
class Function;
} // namespace llvm

namespace tmpass {

struct Options;
struct ShadowStackGlobals;

class FrameFolding {
public:
  explicit FrameFolding(const Options &O) : Opts(O) {}

  // Any file can be folded (system headers are, or skip-file globs exist).
  bool enabled() const;

  // The file of scope S (as a site records it, sourcePathOf) is folded.
  bool isFolded(const llvm::DIScope *S);
  // An absolute, normalised path is in a system directory (built-in or
  // given); ignores -tm-system-frames and the skip-file globs.
  bool isSystemPath(llvm::StringRef Path) const;

  // L, or the nearest location of its inlinedAt chain whose file is not
  // folded; null when every location of the chain is folded.
  const llvm::DILocation *firstUnfolded(const llvm::DILocation *L);

  // The built-in system directories (globs), for docs and tests.
  static llvm::ArrayRef<const char *> builtinSystemDirs();

private:
  const Options &Opts;
  llvm::StringMap<bool> Cache; // path -> folded
};

// A function with no frame of its own whose landing pads or returns_twice
// calls can be reached with frames of its callees still on the shadow stack
// (an exception thrown through framed callees and caught here): load
// __tm_shadow_top at entry and set it back there, as a frame would. Returns the
// number of points set back. Only folded functions need it: any other function
// that calls something which may allocate has a frame (FramePolicy.h).
unsigned emitDepthRepair(llvm::Function &F, const ShadowStackGlobals &G);

} // namespace tmpass

#endif // TM_PASS_SYSTEMHEADERS_H
