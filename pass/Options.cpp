// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//===- Options.cpp - flags and environment variables of the pass
//-----------===//
//
// TM_PASS_SITE_ONLY=1            same as -tm-site-only
// TM_PASS_SKIP_FILES=G1,G2,...   same as -tm-skip-files=G1,G2,...
// TM_PASS_DEBUG=1                same as -tm-debug (Debug.h)
// Globs use llvm::GlobPattern (*, ?, [...]) and are matched against the whole
// path as the compiler saw it, so "*/third_party/*" or "*.gen.c".
//
//===----------------------------------------------------------------------===//
#include "Options.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/GlobPattern.h"

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
  for (const std::string &Text : SkipFiles) {
    Expected<GlobPattern> G = GlobPattern::create(Text);
    if (G && G->match(Path))
      return true;
    if (!G)
      consumeError(G.takeError());
  }
  return false;
}

} // namespace tmpass
