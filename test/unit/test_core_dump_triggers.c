/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_core_dump_triggers.c - the syntax of TRACEMALLOC_DUMP_SIGNAL and
 * TRACEMALLOC_DUMP_INTERVAL (the dumps themselves: test/hosts/dumps). */
#include <signal.h>

#include "check.h"
#include "dump_triggers.h"

static void test_signal(void) {
  CHECK_EQ_INT(tm_dump_parse_signal(NULL), 0);
  CHECK_EQ_INT(tm_dump_parse_signal(""), 0);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGUSR2"), SIGUSR2);
  CHECK_EQ_INT(tm_dump_parse_signal("USR2"), SIGUSR2);
  CHECK_EQ_INT(tm_dump_parse_signal("sigusr1"), SIGUSR1);
  CHECK_EQ_INT(tm_dump_parse_signal("12"), 12);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGHUP"), SIGHUP);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGPROF"), SIGPROF);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGRTMIN"), SIGRTMIN);
  CHECK_EQ_INT(tm_dump_parse_signal("RTMIN+3"), SIGRTMIN + 3);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGRTMAX"), SIGRTMAX);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGRTMAX-2"), SIGRTMAX - 2);
  CHECK_EQ_INT(tm_dump_parse_signal("64"), 64);
  // Not a signal.
  CHECK_EQ_INT(tm_dump_parse_signal("SIGNOPE"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("SIG"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("0"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("65"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("-12"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("12x"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal(" 12"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("USR2 "), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("RTMIN-1"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("RTMAX+1"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("RTMIN+31"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("RTMIN+"), -1);
  CHECK_EQ_INT(tm_dump_parse_signal("99999999999999999999"), -1);
  // Signals that cannot carry dumps.
  CHECK_EQ_INT(tm_dump_parse_signal("SIGKILL"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("STOP"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGSEGV"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("7"), -2); // SIGBUS
  CHECK_EQ_INT(tm_dump_parse_signal("SIGFPE"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGILL"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGTRAP"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("SIGSYS"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("32"), -2);
  CHECK_EQ_INT(tm_dump_parse_signal("33"), -2);
}

static void test_interval(void) {
  CHECK_EQ_INT(tm_dump_parse_interval(NULL), 0);
  CHECK_EQ_INT(tm_dump_parse_interval(""), 0);
  CHECK_EQ_INT(tm_dump_parse_interval("1"), 1000000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("60"), 60000000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("0.5"), 500000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval(".25"), 250000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("2."), 2000000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("0.001"), 1000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("1.000000001"), 1000000001LL);
  CHECK_EQ_INT(tm_dump_parse_interval("1000000000"), 1000000000000000000LL);
  CHECK_EQ_INT(tm_dump_parse_interval("0"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("0.0009"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("1000000000.5"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("99999999999999999999"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("1.0000000001"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("."), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("-1"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("+1"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("1e3"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("1s"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval(" 1"), -1);
  CHECK_EQ_INT(tm_dump_parse_interval("1,5"), -1);
}

int main(void) {
  test_signal();
  test_interval();
  return CHECK_DONE();
}
