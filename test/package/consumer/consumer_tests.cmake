# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The consumer's checks, shared with the subproject build: the program's own
# line and the plugin's are both traced.
enable_testing()
add_test(NAME consumer.program COMMAND consumer)
add_test(NAME consumer.plugin COMMAND consumer)
set_tests_properties(consumer.program PROPERTIES
  ENVIRONMENT "TRACEMALLOC=5"
  PASS_REGULAR_EXPRESSION "main.c:10: size=4096 B, count=1, average=4096 B")
set_tests_properties(consumer.plugin PROPERTIES
  ENVIRONMENT "TRACEMALLOC=5"
  PASS_REGULAR_EXPRESSION "plugin.c:6: size=8192 B, count=1, average=8192 B")
