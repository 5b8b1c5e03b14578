# tracemalloc_instrument(<target> [RUNTIME STATIC|SHARED] [SITE_ONLY])
#
# Compile <target>'s C and C++ sources with the tracemalloc pass and link the
# runtime. Typical use, one option in the consumer project:
#
#   option(MYAPP_TRACEMALLOC "Trace allocations with tracemalloc" OFF)
#   if(MYAPP_TRACEMALLOC)
#     find_package(Tracemalloc REQUIRED)
#     tracemalloc_instrument(myapp)
#   endif()
#
# Then run the program with TRACEMALLOC=25 TRACEMALLOC_DUMP=out.tmd.
#
# RUNTIME   STATIC (default) links libtracemalloc.a; SHARED links the .so.
# SITE_ONLY records the allocation site only (no shadow stack: tracebacks have
#           one frame, the instrumented functions cost nothing extra).
#
# Fails at configure time when the compiler is not Clang of the LLVM major
# version the pass was built for (a plugin built for another LLVM is refused
# by clang, or worse, crashes it).
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

  foreach(lang C CXX)
    if(CMAKE_${lang}_COMPILER_LOADED)
      if(NOT CMAKE_${lang}_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR
          "tracemalloc_instrument(${target}): the ${lang} compiler is "
          "${CMAKE_${lang}_COMPILER_ID} (${CMAKE_${lang}_COMPILER}); the pass needs "
          "clang-${TM_LLVM_VERSION_MAJOR}: configure with "
          "-DCMAKE_${lang}_COMPILER=clang-${TM_LLVM_VERSION_MAJOR} (or tmcc/tmc++)")
      endif()
      string(REGEX MATCH "^[0-9]+" major "${CMAKE_${lang}_COMPILER_VERSION}")
      if(TM_LLVM_VERSION_MAJOR AND NOT major STREQUAL TM_LLVM_VERSION_MAJOR)
        message(FATAL_ERROR
          "tracemalloc_instrument(${target}): ${CMAKE_${lang}_COMPILER} is clang ${major}, "
          "but this tracemalloc pass was built for LLVM ${TM_LLVM_VERSION_MAJOR}")
      endif()
    endif()
  endforeach()

  get_target_property(plugin Tracemalloc::pass LOCATION)
  target_compile_options(${target} PRIVATE
    "$<$<COMPILE_LANGUAGE:C,CXX>:-fpass-plugin=${plugin}>"
    # File:line sites need line tables; configurations without -g get the
    # cheapest debug info that carries them.
    "$<$<AND:$<COMPILE_LANGUAGE:C,CXX>,$<NOT:$<CONFIG:Debug,RelWithDebInfo>>>:-gline-tables-only>")
  if(TM_SITE_ONLY)
    # Options reach the pass through -Xclang -load (clang < 22 rejects
    # -mllvm plugin options otherwise).
    target_compile_options(${target} PRIVATE
      "$<$<COMPILE_LANGUAGE:C,CXX>:SHELL:-Xclang -load -Xclang ${plugin} -mllvm -tm-site-only>")
  endif()
  if(TM_RUNTIME STREQUAL "SHARED")
    target_link_libraries(${target} PRIVATE Tracemalloc::runtime_shared)
  else()
    target_link_libraries(${target} PRIVATE Tracemalloc::runtime)
  endif()
endfunction()
