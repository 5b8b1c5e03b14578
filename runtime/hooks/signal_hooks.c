/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* signal_hooks.c - a sigaction wrapper that shows the program the
 * dispositions it would have without us.
 *
 * With TRACEMALLOC_DUMP set, the runtime installs its own handler for
 * SIGTERM, SIGINT, SIGHUP and SIGABRT where the action is the default one
 * (dump_triggers.c): it writes the exit dump, then performs the default
 * action. For the program, that handler *is* the default action, and it
 * must read as one: programs decide on it (CPython installs its
 * KeyboardInterrupt handler only when SIGINT is SIG_DFL, and
 * signal.getsignal() reports it). So a query that would return the
 * runtime's termination handler returns SIG_DFL, with no flags and an
 * empty mask, as the kernel would. Setting is untouched: a handler the
 * program installs replaces ours, and SIG_DFL put back by the program
 * really is the default action from then on (no dump).
 *
 * Not covered: signal(), bsd_signal() and sigset() return the previous
 * handler through libc's internal sigaction, which no interposition sees;
 * they show the runtime's handler (restoring it is harmless: it behaves as
 * the default action). The dump signal's handler (TRACEMALLOC_DUMP_SIGNAL)
 * is shown as it is: the user asked for it.
 *
 * Under a sanitizer (TM_SANITIZER_MODE) this file defines no sigaction:
 * the sanitizer's interceptor owns the name, and with the shared runtime
 * its REAL(sigaction), looked up with RTLD_NEXT, would be this wrapper,
 * which would chain back into the interceptor during the sanitizer's own
 * start-up (a deadlock in AsanInitFromRtl). There the termination
 * handlers read as what they are (docs/semantics.md).
 *
 * The next sigaction: glibc's __sigaction, which both libc.so and libc.a
 * export (sigaction is its weak alias).
 */
#include "hooks.h"

#include <signal.h>
#include <string.h>

/* Static-link anchor: see anchors.c. */
const char tm_signal_hooks_linked = 1;

#if !TM_SANITIZER_MODE
extern int __sigaction(int, const struct sigaction *, struct sigaction *);

TM_EXPORT int sigaction(int sig, const struct sigaction *act,
                        struct sigaction *old) {
  int rc = __sigaction(sig, act, old);
  if (rc == 0 && old != NULL && !(old->sa_flags & SA_SIGINFO) &&
      tm_dump_triggers_is_default(old->sa_handler)) {
    memset(old, 0, sizeof *old);
    old->sa_handler = SIG_DFL;
    sigemptyset(&old->sa_mask);
  }
  return rc;
}
#endif /* !TM_SANITIZER_MODE */
