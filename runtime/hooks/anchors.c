/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* anchors.c - the static-link anchors of libtracemalloc, in one place.
 *
 * With libtracemalloc.a an object file is linked only when something the
 * link already has refers to one of its symbols. Some objects define only
 * symbols nobody names in a way the static linker would resolve from the
 * archive (malloc, pthread_create: a sanitizer runtime defines them first,
 * weakly; a .preinit_array entry has no name at all). Each such object
 * defines an anchor, `tm_<object>_linked`, which must stay IN that object
 * (referring to it is what pulls the object in); this file is where they
 * are referred to, each with why.
 *
 * The chain: every __tm_* hook call pulls hooks_c.o, which refers to
 * tm_hooks_anchors_linked below, which pulls this object, whose table pulls
 * the rest. In libtracemalloc.so everything is linked anyway; the table
 * costs a few bytes there.
 */
#include "hooks.h"

/* What hooks_c.c refers to so that this object comes with any hook. */
const char tm_hooks_anchors_linked = 1;

__attribute__((used)) static const void *const tm_hooks_anchors[] = {
    /* interpose.c: malloc & co. for uninstrumented code (empty under a
     * sanitizer, whose runtime owns those names). Its only other symbols
     * are the libc names themselves, which a sanitizer runtime already
     * defines when the link reaches the archive. */
    &tm_interpose_linked,
    /* thread_start.c: the pthread_create wrapper that sets up a new
     * thread's shadow stack; a sanitizer runtime defines pthread_create
     * too, so the name alone does not pull it in. */
    &tm_thread_start_linked,
    /* signal_hooks.c: the sigaction wrapper that shows the runtime's
     * termination handlers as SIG_DFL; a sanitizer runtime defines
     * sigaction too. */
    &tm_signal_hooks_linked,
    /* context_switch.c: the swapcontext/makecontext wrappers that keep
     * each context's shadow stack; named by nothing else. */
    &tm_context_switch_linked,
    /* sanitizer_hooks.c: tm_hooks_install, the sanitizer allocator hooks
     * (a no-op without a sanitizer); its constructor installs them at
     * start-up, so it must be linked even when nobody calls it. */
    (const void *)tm_hooks_install,
};

/* Not here: tm_preinit_linked (core/preinit.c, the .preinit_array entry
 * that starts the runtime before library constructors). preinit.o is in
 * libtracemalloc.a only, so nothing in the shared library may refer to it;
 * libtracemalloc.a's link interface names it instead (-u, in
 * runtime/CMakeLists.txt). */
