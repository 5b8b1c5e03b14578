// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- Options.cpp - flags and environment variables of the pass
//-----------===//
//
// TM_PASS_SITE_ONLY=1            same as -tm-site-only
// TM_PASS_SKIP_FILES=G1,G2,...   same as -tm-skip-files=G1,G2,...
// TM_PASS_SYSTEM_FRAMES=1        same as -tm-system-frames
// TM_PASS_SYSTEM_DIRS=D1:D2:...  same as -tm-system-dirs=D1:D2:...
// TM_PASS_DEBUG=1                same as -tm-debug (Debug.h)
// Globs use llvm::GlobPattern (*, ?, [...]) and are matched against the whole
// path as the compiler saw it, so "*/third_party/*" or "*.gen.c".
//
//===----------------------------------------------------------------------===//
#include "Options.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

using namespace llvm;

namespace {

cl::opt<bool> ClSiteOnly(
    "tm-site-only",
    cl::desc("tracemalloc: rewrite allocation calls only, no shadow stack "
             "(env TM_PASS_SITE_ONLY=1)"),
    cl::Hidden, cl::init(false));

cl::opt<bool> ClUntracedCopy(
    "tm-untraced-copy",
    cl::desc("tracemalloc: give each function with a frame an untraced "
             "entry and a traced copy (default on; "
             "env TM_PASS_UNTRACED_COPY=0 turns it off)"),
    cl::Hidden, cl::init(true));

cl::opt<std::string> ClSkipFiles(
    "tm-skip-files",
    cl::desc("tracemalloc: comma-separated globs of source files not to "
             "instrument (env TM_PASS_SKIP_FILES)"),
    cl::Hidden, cl::init(""));

cl::opt<bool> ClSystemFrames(
    "tm-system-frames",
    cl::desc("tracemalloc: keep the frames of system headers instead of "
             "attributing their allocations to the nearest user frame "
             "(env TM_PASS_SYSTEM_FRAMES=1)"),
    cl::Hidden, cl::init(false));

cl::opt<std::string> ClSystemDirs(
    "tm-system-dirs",
    cl::desc("tracemalloc: colon-separated directories whose files are "
             "system headers, besides /usr/include and the other built-in "
             "ones (env TM_PASS_SYSTEM_DIRS)"),
    cl::Hidden, cl::init(""));

cl::opt<bool> ClLocalExec(
    "tm-local-exec",
    cl::desc("tracemalloc: reach __tm_shadow_top with the local-exec TLS "
             "model; only for code linked into an executable together with "
             "the static runtime (tmcc sets it; env TM_PASS_LOCAL_EXEC=1)"),
    cl::Hidden, cl::init(false));

cl::opt<bool> ClDebug(
    "tm-debug",
    cl::desc("tracemalloc: print every instrumentation decision to stderr "
             "(env TM_PASS_DEBUG=1)"),
    cl::Hidden, cl::init(false));

bool envFlag(const char *Name) {
  const char *V = std::getenv(Name);
  return V && *V && StringRef(V) != "0";
}

} // namespace

namespace tmpass {

Options Options::fromCommandLineAndEnv(std::string &Error) {
  Options O;
  O.SiteOnly = ClSiteOnly.getNumOccurrences() ? bool(ClSiteOnly)
                                              : envFlag("TM_PASS_SITE_ONLY");
  if (ClUntracedCopy.getNumOccurrences())
    O.NoUntracedCopy = !ClUntracedCopy;
  else if (const char *V = std::getenv("TM_PASS_UNTRACED_COPY"))
    O.NoUntracedCopy = StringRef(V) == "0";
  std::string Globs = ClSkipFiles;
  if (!ClSkipFiles.getNumOccurrences())
    if (const char *V = std::getenv("TM_PASS_SKIP_FILES"))
      Globs = V;
  SmallVector<StringRef, 8> Parts;
  StringRef(Globs).split(Parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef P : Parts) {
    P = P.trim();
    if (P.empty())
      continue;
    Expected<GlobPattern> G = GlobPattern::create(P);
    if (!G) {
      Error =
          "tracemalloc: bad pattern '" + P.str() +
          "' in TM_PASS_SKIP_FILES/-tm-skip-files: " + toString(G.takeError());
      continue;
    }
    O.SkipFiles.push_back(P.str());
  }
  O.LocalExec = ClLocalExec.getNumOccurrences() ? bool(ClLocalExec)
                                                : envFlag("TM_PASS_LOCAL_EXEC");
  O.SystemFrames = ClSystemFrames.getNumOccurrences()
                       ? bool(ClSystemFrames)
                       : envFlag("TM_PASS_SYSTEM_FRAMES");
  std::string Dirs = ClSystemDirs;
  if (!ClSystemDirs.getNumOccurrences())
    if (const char *V = std::getenv("TM_PASS_SYSTEM_DIRS"))
      Dirs = V;
  SmallVector<StringRef, 8> DirParts;
  StringRef(Dirs).split(DirParts, ':', -1, /*KeepEmpty=*/false);
  for (StringRef D : DirParts) {
    D = D.trim();
    // A relative directory means nothing to the pass, which matches
    // absolute paths: tmcc makes them absolute. The root would make every
    // file a system header.
    if (D.empty() || !sys::path::is_absolute(D))
      continue;
    SmallString<256> N(D);
    sys::path::remove_dots(N, /*remove_dot_dot=*/true);
    while (N.size() > 1 && sys::path::is_separator(N.back()))
      N.pop_back();
    if (N.size() > 1)
      O.SystemDirs.push_back(std::string(N.str()));
  }
  return O;
}

bool debugOutputRequested() {
  // Asked at every decision, so read once; by then the command line has been
  // parsed (the pass runs after it).
  static const bool On =
      ClDebug.getNumOccurrences() ? bool(ClDebug) : envFlag("TM_PASS_DEBUG");
  return On;
}

bool Options::isSkippedFile(StringRef Path) const {
  // A glob without '/' also matches the file's base name (as in
  // .gitignore): "parser.c" means that file wherever it is, whether the
  // build names it relative or absolute (CMake and the debug info give
  // absolute paths, and '*' alone would have to span the directories).
  StringRef Base = sys::path::filename(Path);
  for (const std::string &Text : SkipFiles) {
    Expected<GlobPattern> G = GlobPattern::create(Text);
    if (G && (G->match(Path) ||
              (StringRef(Text).find('/') == StringRef::npos && G->match(Base))))
      return true;
    if (!G)
      consumeError(G.takeError());
  }
  return false;
}

} // namespace tmpass
