/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* own.h - the queries of own_alloc.c's allocator, for the test programs. */
int own_contains(const void *p); /* made by the program's allocator? */
long own_made_count(void);
long own_freed_count(void);
