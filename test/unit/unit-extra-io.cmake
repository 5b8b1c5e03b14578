# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# test_io_cli_filter_args tests the CLI's FILTERS parser, which lives with
# the CLI (tools/tracemalloc/filter_args.c) so that the fuzzer can call it.
if(TARGET test_io_cli_filter_args)
  target_sources(test_io_cli_filter_args PRIVATE
    ${PROJECT_SOURCE_DIR}/tools/tracemalloc/filter_args.c)
  target_include_directories(test_io_cli_filter_args PRIVATE
    ${PROJECT_SOURCE_DIR}/tools/tracemalloc)
endif()
