# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Defaults when tracemalloc is part of another project's build
# (add_subdirectory or FetchContent) rather than built on its own:
# - no tests, benchmarks or fuzzers of ours in the consumer's build;
# - the pass is built for the LLVM of the consumer's clang when LLVM_DIR is
#   not given (the consumer has already chosen it: the pass only loads into
#   the clang of its own LLVM major);
# - TRACEMALLOC=ON instruments every target of the consuming build
#   (cmake/CMakeLists.txt).
if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  set(TM_IS_SUBPROJECT FALSE)
  return()
endif()
set(TM_IS_SUBPROJECT TRUE)
option(TM_BUILD_TESTS "Build the tests" OFF)
option(TRACEMALLOC "Instrument every target of this build with tracemalloc" OFF)

if(TM_BUILD_PASS AND NOT DEFINED LLVM_DIR)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR
      "tracemalloc: the compiler is ${CMAKE_CXX_COMPILER_ID} (${CMAKE_CXX_COMPILER}); "
      "tracemalloc's pass runs inside clang: configure with "
      "-DCMAKE_C_COMPILER=clang-N -DCMAKE_CXX_COMPILER=clang++-N (N the LLVM to build for)")
  endif()
  string(REGEX MATCH "^[0-9]+" tm_major "${CMAKE_CXX_COMPILER_VERSION}")
  find_program(TM_LLVM_CONFIG NAMES llvm-config-${tm_major} llvm-config
               HINTS /usr/lib/llvm-${tm_major}/bin)
  if(TM_LLVM_CONFIG)
    execute_process(COMMAND ${TM_LLVM_CONFIG} --cmakedir
                    OUTPUT_VARIABLE tm_cmakedir OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${TM_LLVM_CONFIG} --version
                    OUTPUT_VARIABLE tm_version OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  if(NOT tm_version MATCHES "^${tm_major}\\.")
    message(FATAL_ERROR
      "tracemalloc: the compiler is clang ${tm_major} but no LLVM ${tm_major} development "
      "files were found (install llvm-${tm_major}-dev, or give -DLLVM_DIR)")
  endif()
  set(LLVM_DIR ${tm_cmakedir} CACHE PATH "The LLVM tracemalloc's pass is built against")
endif()
