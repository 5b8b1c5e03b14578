# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The allocation-hook tests that need more than one C file: the C++ operator
# tests, and a helper shared library built without the pass (standing for any
# uninstrumented third-party code) for test_hooks_uninstr.
add_library(tm_hooks_uninstr_helper SHARED hooks/uninstr_helper.cpp)
tracemalloc_warnings(tm_hooks_uninstr_helper)
tracemalloc_sanitize(tm_hooks_uninstr_helper)
target_link_libraries(test_hooks_uninstr PRIVATE tm_hooks_uninstr_helper)

# TSan defines operator new/delete strongly: a program cannot replace them.
set(TM_HOOKS_CXX_TESTS test_hooks_cxx)
if(NOT TM_SANITIZE STREQUAL "thread")
  list(APPEND TM_HOOKS_CXX_TESTS test_hooks_cxx_replace)
endif()
foreach(name ${TM_HOOKS_CXX_TESTS})
  add_executable(${name} ${name}.cpp)
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
    $<TARGET_PROPERTY:tm_internal_headers,INTERFACE_INCLUDE_DIRECTORIES> ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE tracemalloc_static)
  tracemalloc_warnings(${name})
  tracemalloc_sanitize(${name})
  add_test(NAME unit.${name} COMMAND ${name})
  set_tests_properties(unit.${name} PROPERTIES LABELS unit TIMEOUT 300)
endforeach()
