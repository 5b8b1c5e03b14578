# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tracemalloc_instrument(<target> [RUNTIME STATIC|SHARED] [SITE_ONLY])
#
# Compile <target>'s C and C++ sources with the tracemalloc pass and link the
# runtime the way tmcc does. Typical use, one option in the consumer project:
#
#   option(MYAPP_TRACEMALLOC "Trace allocations with tracemalloc" OFF)
#   if(MYAPP_TRACEMALLOC)
#     find_package(Tracemalloc REQUIRED)
#     tracemalloc_instrument(myapp)
#   endif()
#
# Then run the program with TRACEMALLOC=25 TRACEMALLOC_DUMP=out.tmd.
#
# What each kind of target links (the same policy as tmcc):
#   executable        libtracemalloc.a, whole archive, with the hooks
#                     exported, so that instrumented libraries and plugins
#                     it loads (dlopen) bind to its runtime;
#                     RUNTIME SHARED: libtracemalloc.so instead
#   shared / module   libtracemalloc.so (DT_NEEDED, with an rpath to it)
#   static / object   nothing: the program they end up in links the runtime
# A process must have exactly one runtime, which is why a library never gets
# the static one.
#
# SITE_ONLY records the allocation site only (no shadow stack: tracebacks have
#           one frame, the instrumented functions cost nothing extra).
#
# When the compiler already is tmcc/tmc++, they add the plugin and the runtime
# themselves: only SITE_ONLY is added here, so nothing is linked twice.
#
# Fails at configure time when the compiler is not the clang of the LLVM major
# version the pass was built for (a plugin built for another LLVM is refused
# by clang, or worse, crashes it).
#
# Works with the installed package (find_package(Tracemalloc)) and inside a
# build that adds tracemalloc with add_subdirectory/FetchContent; the second
# also offers -DTRACEMALLOC=ON (tracemalloc_instrument_all below).

# Is COMPILER one of our tmcc/tmc++ wrappers (under any name or symlink)?
function(_tracemalloc_is_wrapper compiler out)
  set(${out} FALSE PARENT_SCOPE)
  if(EXISTS "${compiler}" AND NOT IS_DIRECTORY "${compiler}")
    file(READ "${compiler}" head LIMIT 300)
    if(head MATCHES "drop-in [^\n]* compiler that builds with tracemalloc")
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endif()
endfunction()

function(tracemalloc_instrument target)
  cmake_parse_arguments(TM "SITE_ONLY" "RUNTIME" "" ${ARGN})
  if(TM_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "tracemalloc_instrument: unknown arguments: ${TM_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TM_RUNTIME)
    set(TM_RUNTIME STATIC)
  endif()
  if(NOT TM_RUNTIME MATCHES "^(STATIC|SHARED)$")
    message(FATAL_ERROR "tracemalloc_instrument: RUNTIME must be STATIC or SHARED, not '${TM_RUNTIME}'")
  endif()
  if(NOT TARGET Tracemalloc::pass)
    message(FATAL_ERROR "tracemalloc_instrument: this Tracemalloc package was built without the pass")
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY|STATIC_LIBRARY|OBJECT_LIBRARY)$")
    message(FATAL_ERROR "tracemalloc_instrument(${target}): a ${type} target has no code to instrument")
  endif()
  get_target_property(done ${target} TRACEMALLOC_INSTRUMENTED)
  if(done)
    return()
  endif()
  set_property(TARGET ${target} PROPERTY TRACEMALLOC_INSTRUMENTED TRUE)

  get_property(major GLOBAL PROPERTY TRACEMALLOC_LLVM_MAJOR)
  get_property(clang GLOBAL PROPERTY TRACEMALLOC_CLANG)
  set(wrapped "")
  set(direct "")
  foreach(lang C CXX)
    if(NOT CMAKE_${lang}_COMPILER_LOADED)
      continue()
    endif()
    set(use "clang-${major}")
    if(clang)
      set(use "clang-${major} (${clang})")
    endif()
    if(NOT CMAKE_${lang}_COMPILER_ID MATCHES "Clang")
      message(FATAL_ERROR
        "tracemalloc_instrument(${target}): the ${lang} compiler is "
        "${CMAKE_${lang}_COMPILER_ID} ${CMAKE_${lang}_COMPILER_VERSION} "
        "(${CMAKE_${lang}_COMPILER}); the tracemalloc pass was built for LLVM "
        "${major} and needs ${use}: configure with -DCMAKE_C_COMPILER=clang-${major} "
        "-DCMAKE_CXX_COMPILER=clang++-${major}, or with tracemalloc's tmcc and tmc++")
    endif()
    string(REGEX MATCH "^[0-9]+" have "${CMAKE_${lang}_COMPILER_VERSION}")
    if(major AND NOT have STREQUAL major)
      message(FATAL_ERROR
        "tracemalloc_instrument(${target}): the ${lang} compiler ${CMAKE_${lang}_COMPILER} "
        "is clang ${have}, but the tracemalloc pass was built for LLVM ${major} and "
        "needs ${use}: configure with -DCMAKE_C_COMPILER=clang-${major} "
        "-DCMAKE_CXX_COMPILER=clang++-${major}, or with tracemalloc's tmcc and tmc++")
    endif()
    _tracemalloc_is_wrapper("${CMAKE_${lang}_COMPILER}" is_wrapper)
    if(is_wrapper)
      list(APPEND wrapped ${lang})
    else()
      list(APPEND direct ${lang})
    endif()
  endforeach()
  if(wrapped AND direct)
    message(FATAL_ERROR
      "tracemalloc_instrument(${target}): the ${wrapped} compiler is tmcc/tmc++ but the "
      "${direct} compiler is not: use tmcc and tmc++ together, or clang-${major} and "
      "clang++-${major} together")
  endif()

  set(plugin "$<TARGET_FILE:Tracemalloc::pass>")
  if(TARGET tracemalloc_pass_ready)
    # The plugin is built in this same build (add_subdirectory): compile
    # after it.
    add_dependencies(${target} tracemalloc_pass_ready)
  endif()
  if(TM_SITE_ONLY)
    # Options reach the pass through -Xclang -load (clang < 22 rejects
    # -mllvm plugin options otherwise).
    target_compile_options(${target} PRIVATE
      "$<$<COMPILE_LANGUAGE:C,CXX>:SHELL:-Xclang -load -Xclang ${plugin} -mllvm -tm-site-only>")
  endif()
  if(wrapped)
    # tmcc/tmc++ add the plugin, the line tables and the runtime.
    return()
  endif()

  target_compile_options(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:C,CXX>:-fpass-plugin=${plugin}>"
    # File:line sites need line tables; configurations without -g get the
    # cheapest debug info that carries them, with the linkage names that
    # name C++ functions in full (ns::Class::method, as tmcc gives them;
    # the code is unchanged).
    "$<$<AND:$<COMPILE_LANGUAGE:C,CXX>,$<NOT:$<CONFIG:Debug,RelWithDebInfo>>>:-gline-tables-only>"
    "$<$<AND:$<COMPILE_LANGUAGE:C,CXX>,$<NOT:$<CONFIG:Debug,RelWithDebInfo>>>:-fdebug-info-for-profiling>")
  # tracemalloc.h, for programs that take snapshots themselves.
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:Tracemalloc::runtime,INTERFACE_INCLUDE_DIRECTORIES>)

  if(type STREQUAL "EXECUTABLE" AND TM_RUNTIME STREQUAL "STATIC")
    # Every object of the runtime (the hooks and the malloc interposition
    # are referenced by nobody when only libraries are instrumented), and
    # the hooks exported for the libraries the program loads.
    target_link_libraries(${target} PRIVATE
      -Wl,--whole-archive Tracemalloc::runtime -Wl,--no-whole-archive)
    target_link_options(${target} PRIVATE
      "LINKER:--export-dynamic-symbol=__tm_*" "LINKER:--export-dynamic-symbol=tm_*")
  elseif(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY)$")
    # libtracemalloc.so as DT_NEEDED. CMake gives it a build rpath; the
    # installed target keeps one to the runtime's directory too.
    target_link_libraries(${target} PRIVATE Tracemalloc::runtime_shared)
    set_property(TARGET ${target} APPEND PROPERTY INSTALL_RPATH
      "$<TARGET_FILE_DIR:Tracemalloc::runtime_shared>")
  endif()
endfunction()

# tracemalloc_instrument_all(<directory>): instrument every executable and
# library defined in <directory> and below, except tracemalloc's own. What
# -DTRACEMALLOC=ON runs at the end of the top-level directory when tracemalloc
# is added with add_subdirectory or FetchContent.
function(tracemalloc_instrument_all dir)
  get_property(own GLOBAL PROPERTY TRACEMALLOC_SOURCE_DIR)
  if(dir STREQUAL own)
    # tracemalloc's own directory (its subdirectories are not visited).
    return()
  endif()
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY|STATIC_LIBRARY|OBJECT_LIBRARY)$")
      tracemalloc_instrument(${t})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(d ${subdirs})
    tracemalloc_instrument_all("${d}")
  endforeach()
endfunction()
