# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# TM_SANITIZE=address builds the runtime, CLI and unit tests with ASan+UBSan
# (-fno-sanitize-recover=all); TM_SANITIZE=thread with TSan. Under a sanitizer
# the runtime does not interpose malloc (the sanitizer owns it) and uses
# __sanitizer_install_malloc_and_free_hooks instead (runtime/hooks/sanitizer_hooks.c).
set(TM_SANITIZE_FLAGS "")
if(TM_SANITIZE STREQUAL "address")
  # No use-after-return fake stacks: the unit tests build shadow-stack frame
  # records as locals, which the capture accepts only on the thread's stack
  # (tmcc does the same for ASan programs).
  set(TM_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
      -fsanitize-address-use-after-return=never)
elseif(TM_SANITIZE STREQUAL "thread")
  set(TM_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT TM_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TM_SANITIZE must be empty, 'address' or 'thread', not '${TM_SANITIZE}'")
endif()

function(tracemalloc_sanitize target)
  if(TM_SANITIZE_FLAGS)
    target_compile_options(${target} PRIVATE ${TM_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${TM_SANITIZE_FLAGS})
  endif()
endfunction()

# ---- Sanitizer runtime variants for users ---------------------------------
#
# A program built with -fsanitize=address|thread|memory|leak gets its malloc
# from the sanitizer; the normal libtracemalloc, which defines malloc itself,
# would replace the sanitizer's (no more heap-buffer-overflow or leak
# reports). So the build also makes, from the same sources, one runtime per
# sanitizer that owns malloc, each compiled with that -fsanitize so that the
# runtime is in the sanitizer's own mode (hooks.h: TM_SANITIZER_MODE, no
# malloc of its own, __sanitizer_install_malloc_and_free_hooks) and so that
# TSan sees the runtime's atomics and MSan its stores:
#
#   libtracemalloc-asan.{a,so}   -fsanitize=address (LSan included)
#   libtracemalloc-tsan.{a,so}   -fsanitize=thread
#   libtracemalloc-msan.{a,so}   -fsanitize=memory
#   libtracemalloc-lsan.{a,so}   -fsanitize=leak (standalone LeakSanitizer)
#
# tmcc/tmc++ pick one from the -fsanitize/-fno-sanitize options of a link.
# UBSan alone needs none (it does not replace malloc): the normal runtime.
# A variant is built only when the C compiler is clang and can link a
# program with that sanitizer (libclang-rt-N-dev installed); the others are
# reported at configure time and tmcc says which one is missing.
option(TM_SANITIZER_RUNTIMES
  "Also build libtracemalloc-{asan,tsan,msan,lsan} for tmcc -fsanitize=..." ON)

set(TM_SANITIZER_VARIANT_FLAGS_asan -fsanitize=address -fno-omit-frame-pointer)
set(TM_SANITIZER_VARIANT_FLAGS_tsan -fsanitize=thread -fno-omit-frame-pointer)
set(TM_SANITIZER_VARIANT_FLAGS_msan -fsanitize=memory -fno-omit-frame-pointer)
set(TM_SANITIZER_VARIANT_FLAGS_lsan -fsanitize=leak -fno-omit-frame-pointer)

# tracemalloc_sanitizer_runtimes(LAYERS... LIBS...): called by
# runtime/CMakeLists.txt once its layer object libraries tm_<layer> exist.
# Compiles their sources again (with each source's own COMPILE_OPTIONS and
# the layers' include directories) into the variants above.
function(tracemalloc_sanitizer_runtimes)
  cmake_parse_arguments(V "" "" "LAYERS;LIBS" ${ARGN})
  set(TM_SANITIZER_RUNTIME_TARGETS "" PARENT_SCOPE)
  if(NOT TM_SANITIZER_RUNTIMES)
    return()
  endif()
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(STATUS "tracemalloc: no sanitizer runtime variants (the C compiler is "
      "${CMAKE_C_COMPILER_ID}, not clang): tmcc -fsanitize=address|thread|memory|leak "
      "will report that they are missing")
    return()
  endif()
  set(srcs "")
  set(incs "")
  foreach(layer ${V_LAYERS})
    get_target_property(dir tm_${layer} SOURCE_DIR)
    get_target_property(lsrcs tm_${layer} SOURCES)
    list(APPEND incs ${dir})
    foreach(s ${lsrcs})
      get_filename_component(abs ${s} ABSOLUTE BASE_DIR ${dir})
      get_source_file_property(opts ${abs} TARGET_DIRECTORY tm_${layer} COMPILE_OPTIONS)
      list(APPEND srcs ${abs})
      if(opts)
        set(TM_SRC_OPTS_${abs} ${opts})
      endif()
    endforeach()
  endforeach()

  include(CheckCSourceCompiles)
  set(built "")
  foreach(v asan tsan msan lsan)
    set(flags ${TM_SANITIZER_VARIANT_FLAGS_${v}})
    set(CMAKE_REQUIRED_FLAGS ${flags})
    set(CMAKE_REQUIRED_LINK_OPTIONS ${flags})
    set(CMAKE_REQUIRED_QUIET ON)
    # A link test: the compiler accepting the flag is not enough, its
    # sanitizer runtime (libclang_rt.<v>) must be installed.
    check_c_source_compiles("#include <stdlib.h>
      int main(void) { void *p = malloc(1); free(p); return 0; }" TM_CAN_LINK_${v})
    unset(CMAKE_REQUIRED_FLAGS)
    unset(CMAKE_REQUIRED_LINK_OPTIONS)
    if(NOT TM_CAN_LINK_${v})
      message(STATUS "tracemalloc: no ${v} runtime variant (${CMAKE_C_COMPILER} cannot "
        "link with ${flags}; install libclang-rt-${CMAKE_C_COMPILER_VERSION_MAJOR}-dev)")
      continue()
    endif()
    add_library(tm_rt_${v} OBJECT ${srcs})
    foreach(s ${srcs})
      if(DEFINED TM_SRC_OPTS_${s})
        set_source_files_properties(${s} TARGET_DIRECTORY tm_rt_${v}
          PROPERTIES COMPILE_OPTIONS "${TM_SRC_OPTS_${s}}")
      endif()
    endforeach()
    target_include_directories(tm_rt_${v} PRIVATE ${PROJECT_SOURCE_DIR}/include ${incs})
    target_compile_options(tm_rt_${v} PRIVATE -fvisibility=hidden ${flags})
    target_compile_definitions(tm_rt_${v} PRIVATE _GNU_SOURCE)
    tracemalloc_warnings(tm_rt_${v})
    add_library(tracemalloc_${v}_static STATIC $<TARGET_OBJECTS:tm_rt_${v}>)
    add_library(tracemalloc_${v}_shared SHARED $<TARGET_OBJECTS:tm_rt_${v}>)
    foreach(t tracemalloc_${v}_static tracemalloc_${v}_shared)
      set_target_properties(${t} PROPERTIES OUTPUT_NAME tracemalloc-${v})
      target_include_directories(${t} PUBLIC
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
      target_link_libraries(${t} PUBLIC ${V_LIBS})
      # A program linking the variant must itself be linked with the
      # sanitizer (its runtime provides malloc and the __<v>_* symbols).
      target_compile_options(${t} INTERFACE ${flags})
      target_link_options(${t} INTERFACE ${flags})
    endforeach()
    set_target_properties(tracemalloc_${v}_static PROPERTIES EXPORT_NAME runtime_${v})
    set_target_properties(tracemalloc_${v}_shared PROPERTIES EXPORT_NAME runtime_${v}_shared
      VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
    list(APPEND built tracemalloc_${v}_static tracemalloc_${v}_shared)
    message(STATUS "tracemalloc: ${v} runtime variant libtracemalloc-${v}")
  endforeach()
  set(TM_SANITIZER_RUNTIME_TARGETS ${built} PARENT_SCOPE)
endfunction()
