# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Warnings for our own C and C++ code (not for the LLVM headers).
function(tracemalloc_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter>
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter>)
endfunction()
