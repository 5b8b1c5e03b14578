/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* rendezvous.h - one active runtime per process.
 *
 * A process can hold several copies of the runtime: the static one tmcc
 * links into an instrumented executable, libtracemalloc.so (a dependency of
 * every library built with `tmcc -shared`, or LD_PRELOAD), perhaps another
 * version of it next to a second library. Exactly one copy may trace: the
 * first to initialise. Every other copy stays dormant: it records nothing,
 * reads no environment variable, writes no dump, and its hooks just forward
 * to the real allocator.
 *
 * Each copy exports one object under a name and layout that no version may
 * change (the rendezvous below). At its first initialisation a copy looks
 * for that symbol in every loaded object (dl_iterate_phdr, then a lookup in
 * the object's own dynamic symbol table, which also finds copies loaded
 * RTLD_LOCAL, as Python loads extensions, and runs no constructor, as
 * dlopen(RTLD_NOLOAD) would), and goes dormant if another copy is active.
 * A copy of another version is reported in one line on stderr by the copy
 * that goes dormant.
 */
#ifndef TM_RENDEZVOUS_H
#define TM_RENDEZVOUS_H

#include <stdbool.h>

/* Decide, once, whether this copy is the process's active runtime; true if
 * it is. Called first thing by tm_runtime_init (before it reads the
 * environment), never concurrently with itself. */
bool tm_rendezvous_claim(void);

/* True once tm_rendezvous_claim decided that another copy is active. */
bool tm_rendezvous_dormant(void);

/* True if `fn` is the interposed malloc of a runtime copy (this one
 * included): the object that holds it exports it as __tm_interposed_malloc
 * too. The real-allocator resolution uses it: a malloc in effect that is
 * another copy's interposer forwards down its own chain, so it must not be
 * taken for the program's allocator (each copy would call the other
 * forever). Takes the loader's lock: never call it holding a runtime lock. */
bool tm_rendezvous_is_interposer(const void *fn);

/* True if an object after the one holding `from` in the loader's list
 * defines `name`: whether dlsym(RTLD_NEXT, name) called from there can
 * succeed. A failing dlsym allocates its error message with the malloc in
 * effect, which another copy would trace as the program's block. */
bool tm_rendezvous_defined_after(const void *from, const char *name);

#endif /* TM_RENDEZVOUS_H */
