/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* preinit.c - start the runtime of an instrumented executable before any
 * shared library's constructor runs. Static library only.
 *
 * The dynamic loader runs the executable's .preinit_array before the
 * constructors of every loaded library (DT_PREINIT_ARRAY, executables
 * only: a shared object may not have one, which is why this object is in
 * libtracemalloc.a and not in libtracemalloc.so). The runtime's own
 * constructor runs with the executable's, i.e. after every library's: with
 * only that, TRACEMALLOC=N would miss what library constructors allocate
 * (libstdc++'s exception-handling emergency pool, 72,704 bytes on Debian
 * 12), and a libtracemalloc.so loaded as a dependency of an instrumented
 * library would initialise, and claim the process (rendezvous.h), first.
 *
 * libtracemalloc.a's link interface names tm_preinit_linked (-u), so a
 * static link pulls this object in even without --whole-archive.
 */
#include <unistd.h> /* environ */

#include "internal.h"

TM_HIDDEN const char tm_preinit_linked = 1;

static void tm_preinit(int argc, char **argv, char **envp) {
  (void)argc;
  (void)argv;
  /* libc sets environ in its own initialisation, which runs after the
   * .preinit_array; until then secure_getenv finds nothing. Set it to the
   * same vector libc will: the loader passes it to preinit functions for
   * this. */
  if (environ == NULL)
    environ = envp;
  tm_runtime_init();
}

__attribute__((section(".preinit_array"), used)) static void (
        *const tm_preinit_entry)(int, char **, char **) = tm_preinit;
