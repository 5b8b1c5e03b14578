# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# -*- Python -*-
# The tracemalloc lit suite: test/pass (IR), test/e2e (programs), test/tool
# (CLI). Everything runs with the tools of the LLVM the pass was built for.
#
# Substitutions
#   %opt %clang %clangxx %FileCheck-style tools (FileCheck, not, count, ...)
#   %tm_plugin         libtmpass.so
#   %tm_runtime_lib    libtracemalloc.a     %tm_runtime_shared  libtracemalloc.so
#   %tm_include        the include/ directory
#   %tm_cflags         -fpass-plugin + -g + include (compile only)
#   %tm_ldflags        link the static runtime (whole archive, exported hooks)
#   %clang_tm %clangxx_tm   clang/clang++ with both
#   %tmcc %tmcxx       the build tree's compiler wrappers
#   %tracemalloc       the CLI (tests that use it: REQUIRES: cli)
#   %python
# Features: llvm-N, typed-pointers (14), fat-lto (18+), lld, lld-pass-plugin (lld >= 15),
#   runtime (libtracemalloc defines the hooks), cli, libcxx (clang++
#   -stdlib=libc++ links and runs: Debian's libc++-N-dev).
import os
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "tracemalloc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".ll", ".c", ".cpp", ".test"]
config.test_source_root = os.path.join(config.tm_src_root, "test")
config.test_exec_root = os.path.join(config.tm_obj_root, "test", "lit-out")
# Directories of test/ that hold no lit tests.
config.excludes = ["Inputs", "unit", "lit", "real", "package", "hosts", "CMakeLists.txt"]

# The pass reads these; a developer's shell must not change test results.
for var in ["TM_PASS_SITE_ONLY", "TM_PASS_SKIP_FILES", "TM_PASS_DEBUG",
            "TM_PASS_SYSTEM_FRAMES", "TM_PASS_SYSTEM_DIRS", "TM_PASS_UNTRACED_COPY",
            "TM_PASS_LOCAL_EXEC", "TRACEMALLOC", "TRACEMALLOC_DUMP"]:
    config.environment.pop(var, None)

tools = config.llvm_tools_dir
llvm_config.add_tool_substitutions(
    ["FileCheck", "not", "count", "llvm-nm", "llvm-readelf",
     "llvm-objdump", "llvm-dis", "llvm-link", "split-file"], tools)

clang = os.path.join(tools, "clang")
clangxx = os.path.join(tools, "clang++")
plugin = config.tm_plugin
cflags = "-fpass-plugin=%s -g -I%s" % (plugin, config.tm_include)
# Whole archive: the runtime's interposed malloc is not referenced by the
# program but must be linked. Export the hooks and the TLS so that
# dlopen'ed instrumented libraries bind to this copy of the runtime.
ldflags = ("-Wl,--whole-archive %s -Wl,--no-whole-archive "
           "-Wl,--export-dynamic-symbol=__tm_* -Wl,--export-dynamic-symbol=tm_* "
           "-lpthread -ldl -lm" % config.tm_runtime_static)

# Longest names first: lit substitutes in order.
config.substitutions.insert(0, ("%opt", os.path.join(tools, "opt")))
config.substitutions.insert(0, ("%clangxx_tm", "%s %s %s" % (clangxx, cflags, ldflags)))
config.substitutions.insert(0, ("%clang_tm", "%s %s %s" % (clang, cflags, ldflags)))
config.substitutions.append(("%tm_cflags", cflags))
config.substitutions.append(("%tm_ldflags", ldflags))
config.substitutions.append(("%tmcxx", os.path.join(config.tm_bin_dir, "tmc++")))
config.substitutions.append(("%tmcc", os.path.join(config.tm_bin_dir, "tmcc")))
config.substitutions.append(("%tm_plugin", plugin))
config.substitutions.append(("%tm_runtime_lib", config.tm_runtime_static))
config.substitutions.append(("%tm_runtime_shared", config.tm_runtime_shared))
config.substitutions.append(("%tm_include", config.tm_include))
config.substitutions.append(("%clangxx", clangxx))
config.substitutions.append(("%clang", clang))
config.substitutions.append(("%python", config.python_executable))
if config.tm_cli and os.path.exists(config.tm_cli):
    config.available_features.add("cli")
    config.substitutions.append(("%tracemalloc", config.tm_cli))
else:
    # test/tool is all about the CLI: without it (not built, or broken), say
    # so once instead of failing every golden test.
    lit_config.warning("the tracemalloc CLI (%s) is not built: test/tool is "
                       "skipped" % (config.tm_cli or "no CMake target"))
    config.excludes.append("tool")
    config.substitutions.append(("%tracemalloc", "false"))

major = int(config.llvm_version_major)
config.available_features.add("llvm-%d" % major)
if major < 15:
    config.available_features.add("typed-pointers")
if major >= 18:
    config.available_features.add("fat-lto")  # -ffat-lto-objects
if os.path.exists(os.path.join(tools, "ld.lld")):
    config.available_features.add("lld")
    if major >= 15:
        config.available_features.add("lld-pass-plugin")

# libc++ is optional (libc++-N-dev): tests that need it are skipped without.
def libcxx_works():
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.cpp")
        exe = os.path.join(d, "t")
        with open(src, "w") as f:
            f.write("#include <vector>\nint main() { std::vector<int> v(1);"
                    " return v[0]; }\n")
        try:
            return (subprocess.run([clangxx, "-stdlib=libc++", src, "-o", exe],
                                   capture_output=True).returncode == 0 and
                    subprocess.run([exe], capture_output=True).returncode == 0)
        except OSError:
            return False
if libcxx_works():
    config.available_features.add("libcxx")

# End-to-end tests need a runtime library that defines the hooks of this
# ABI (REQUIRES: runtime): a build with -DTM_BUILD_PASS=OFF, or a stale
# library of another ABI version, leaves them unsupported.
def runtime_complete(lib):
    try:
        out = subprocess.run([os.path.join(tools, "llvm-nm"), "--defined-only",
                              "--extern-only", lib], capture_output=True,
                             text=True).stdout
    except OSError:
        return False
    names = set(l.split()[-1] for l in out.splitlines() if len(l.split()) >= 2)
    return {"__tm_module_init_v4", "__tm_malloc", "__tm_shadow_top",
            "tm_start"} <= names
if os.path.exists(config.tm_runtime_static) and runtime_complete(config.tm_runtime_static):
    config.available_features.add("runtime")
