// TRACEMALLOC_LEAKS=1: the reachability scan at exit, its stderr report,
// TRACEMALLOC_LEAKS_EXITCODE, and the classification in the exit dump.
// REQUIRES: runtime, cli
// RUN: %clang_tm -O1 %s -o %t -lpthread
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t list 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t cycle 2>&1 | FileCheck %s --check-prefix=CYCLE
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t aligned 2>&1 | FileCheck %s --check-prefix=ALIGNED
// RUN: env TRACEMALLOC_LEAKS=1 %t global 2>&1 | FileCheck %s --check-prefix=OFF
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t stopped 2>&1 | FileCheck %s --check-prefix=STOPPED
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t thread 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t rawthread 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t joined 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t detached 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t interior 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t global 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t stdio 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: rm -f %t.tmd
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_DUMP=%t.tmd %t all > /dev/null 2>&1
// RUN: %tracemalloc leaks %t.tmd | FileCheck %s --check-prefix=CLI
// RUN: %tracemalloc leaks %t.tmd --reachable --limit all | FileCheck %s --check-prefix=REACH
// RUN: printf '# the cycle is known\nlose_cycle\nkeep_interior\n' > %t.supp
// RUN: %tracemalloc leaks %t.tmd --suppress %t.supp | FileCheck %s --check-prefix=SUPP
// RUN: printf 'lose_cycle\nlose_list\n' > %t.all.supp
// RUN: %tracemalloc leaks %t.tmd --suppress %t.all.supp | FileCheck %s --check-prefix=SUPP-ALL
// Filters keep the classification of the blocks they keep.
// RUN: %tracemalloc leaks %t.tmd --include '*/leaks.c' 2>&1 | FileCheck %s --check-prefix=CLI
// RUN: %tracemalloc leaks %t.tmd --include '*/leaks.c:999' 2>&1 | FileCheck %s --check-prefix=FILTER-NONE
// The classification names no thread: --thread lists the thread's live blocks, and says so.
// RUN: %tracemalloc leaks %t.tmd --thread leaks.c.tmp 2>&1 | FileCheck %s --check-prefix=BYTHREAD
// RUN: rm -f %t.json
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_DUMP=%t.json %t all > /dev/null 2>&1
// RUN: %tracemalloc leaks %t.json | FileCheck %s --check-prefix=CLI
// The shared runtime: the scan leaves libtracemalloc.so's own data out.
// RUN: %clang -fpass-plugin=%tm_plugin -g -I%tm_include -O1 %s -o %t.shared %tm_runtime_shared -Wl,-rpath,$(dirname %tm_runtime_shared) -lpthread
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t.shared list 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t.shared thread 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t.shared joined 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 %t.shared stdio 2>&1 | FileCheck %s --check-prefix=NONE --allow-empty
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_LEAKS_EXITCODE=23 %t list > %t.out 2>&1; echo "status $?" >> %t.out
// RUN: FileCheck %s --check-prefix=EXIT < %t.out
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_LEAKS_EXITCODE=23 %t global > %t.out 2>&1; echo "status $?" >> %t.out
// RUN: FileCheck %s --check-prefix=NOEXIT < %t.out
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_LEAKS_EXITCODE=x %t global 2>&1 | FileCheck %s --check-prefix=BADCODE
// A termination signal writes the exit dump but cannot run the scan: it says so.
// RUN: rm -f %t.term.tmd
// RUN: env TRACEMALLOC=1 TRACEMALLOC_LEAKS=1 TRACEMALLOC_DUMP=%t.term.tmd %t term > %t.out 2>&1; echo "status $?" >> %t.out
// RUN: FileCheck %s --check-prefix=TERM < %t.out
// RUN: %tracemalloc leaks %t.term.tmd --reachable 2>&1 | FileCheck %s --check-prefix=NOCLASS
// RUN: %tracemalloc leaks %t.term.tmd 2>&1 | FileCheck %s --check-prefix=NOTE
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracemalloc.h"

struct node {
  struct node *next;
  char pad[24];
};

void *volatile held;        // a global root
void *volatile held_aligned; // the same for a side-table block
static char *volatile inner; // a pointer into the middle of a block

// Wipes the dead frames of the allocating functions: a conservative scan
// would see their stale pointers on the stack. explicit_bzero, because a
// memset of a dying local is a dead store the compiler may drop (clang 14
// and 15 at -O1 removed this whole function when it used memset).
__attribute__((noinline)) static void wipe_stack(void) {
  char buf[32768];
  explicit_bzero(buf, sizeof buf);
}

__attribute__((noinline)) static void lose_list(void) {
  struct node *head = NULL;
  for (int i = 0; i < 3; i++) {
    struct node *n = malloc(sizeof *n); // list
    n->next = head;
    head = n;
  }
  __asm__ volatile("" ::"r"(head));
}

__attribute__((noinline)) static void lose_cycle(void) {
  struct node *a = malloc(sizeof *a); // cycle a
  struct node *b = malloc(sizeof *b); // cycle b
  a->next = b;
  b->next = a;
  __asm__ volatile("" ::"r"(a));
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;

static atomic_int ended;

static void *ends(void *arg) {
  atomic_store(&ended, 1);
  return arg;
}

// The block is only in this thread's stack frame (and registers) while the
// main thread exits: it is stopped for the scan and its stack scanned.
static void *holder(void *arg) {
  (void)arg;
  void *volatile mine = malloc(777); // thread
  pthread_mutex_lock(&mu);
  ready = 1;
  pthread_cond_signal(&cv);
  pthread_mutex_unlock(&mu);
  for (;;)
    pause();
  return mine;
}

// A thread the runtime never heard of: made by clone(2), not
// pthread_create, on a stack of its own; it shares the creator's TLS, so
// it runs no instrumented code. The scan finds it in /proc/self/task.
static atomic_int raw_ready;
TM_NO_INSTRUMENT static int raw_thread(void *arg) {
  void *volatile mine = arg;
  atomic_store(&raw_ready, 1);
  for (;;)
    syscall(SYS_pause);
  return mine != NULL;
}

__attribute__((noinline)) static void start_raw_thread(void) {
  size_t size = 1 << 20;
  char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  clone(raw_thread, stack + size,
        CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
            CLONE_SYSVSEM,
        malloc(555)); // rawthread
  while (!atomic_load(&raw_ready))
    sched_yield();
}

__attribute__((noinline)) static void keep_interior(void) {
  char *p = malloc(64); // interior
  inner = p + 40;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "all";
  bool all = strcmp(what, "all") == 0;
  if (all || !strcmp(what, "list"))
    lose_list();
  if (!strcmp(what, "stopped")) { // the program ends tracing itself
    lose_list();
    tm_stop();
  }
  if (all || !strcmp(what, "cycle"))
    lose_cycle();
  if (!strcmp(what, "thread")) {
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    pthread_mutex_lock(&mu);
    while (!ready)
      pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
  }
  if (!strcmp(what, "rawthread"))
    start_raw_thread();
  // Threads that have ended: glibc keeps each one's stack, descriptor and
  // TLS vector (a block its pthread_create calloc'ed, here traced) in a
  // cache for the next thread. No thread is alive to hold the vector, but
  // the cached descriptor still points to it: not a leak (LSan agrees).
  if (!strcmp(what, "joined")) {
    for (int i = 0; i < 3; i++) {
      pthread_t t[2];
      for (int j = 0; j < 2; j++)
        pthread_create(&t[j], NULL, ends, NULL);
      for (int j = 0; j < 2; j++)
        pthread_join(t[j], NULL);
    }
  }
  if (!strcmp(what, "detached")) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    pthread_create(&t, &attr, ends, NULL);
    pthread_attr_destroy(&attr);
    while (atomic_load(&ended) == 0)
      sched_yield();
    usleep(20000); // past its last instruction, into the stack cache
  }
  if (all || !strcmp(what, "interior"))
    keep_interior();
  if (!strcmp(what, "aligned")) {
    // aligned_alloc's blocks are traced in the side table, not in header
    // mode: the scan sorts them with the others.
    held_aligned = aligned_alloc(64, 128);
    __asm__ volatile("" ::"r"(aligned_alloc(64, 256))); // aligned lost
    lose_list();
  }
  if (!strcmp(what, "term")) {
    lose_list();
    raise(SIGTERM);
  }
  if (all || !strcmp(what, "global"))
    held = malloc(100); // global
  if (all || !strcmp(what, "stdio"))
    printf("hello\n"); // stdio
  wipe_stack();
  return 0;
}
// LIST: tracemalloc: detected memory leaks
// LIST-EMPTY:
// LIST-NEXT: Direct leak of 32 byte(s) in 1 object(s) allocated from:
// LIST-NEXT:   File "{{.*}}leaks.c", line [[#LINE:]], in lose_list{{$}}
// LIST-NEXT:     struct node *n = malloc(sizeof *n); // list
// LIST-EMPTY:
// LIST-NEXT: Indirect leak of 64 byte(s) in 2 object(s) allocated from:
// LIST-NEXT:   File "{{.*}}leaks.c", line [[#LINE]], in lose_list{{$}}
// LIST-NEXT:     struct node *n = malloc(sizeof *n); // list
// LIST-EMPTY:
// LIST-NEXT: SUMMARY: tracemalloc: 96 byte(s) leaked in 3 allocation(s).
// LIST-NOT: leak

// CYCLE: Direct leak of 32 byte(s) in 1 object(s) allocated from:
// CYCLE-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}, in lose_cycle{{$}}
// CYCLE-NEXT:     struct node *a = malloc(sizeof *a); // cycle a
// CYCLE-EMPTY:
// CYCLE-NEXT: Indirect leak of 32 byte(s) in 1 object(s) allocated from:
// CYCLE-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}, in lose_cycle{{$}}
// CYCLE-NEXT:     struct node *b = malloc(sizeof *b); // cycle b
// CYCLE-EMPTY:
// CYCLE-NEXT: SUMMARY: tracemalloc: 64 byte(s) leaked in 2 allocation(s).

// ALIGNED: Direct leak of 256 byte(s) in 1 object(s) allocated from:
// ALIGNED-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}
// ALIGNED-NEXT:     __asm__ volatile("" ::"r"(aligned_alloc(64, 256))); // aligned lost
// ALIGNED: Direct leak of 32 byte(s) in 1 object(s) allocated from:
// ALIGNED: SUMMARY: tracemalloc: 352 byte(s) leaked in 4 allocation(s).

// OFF: tracemalloc: warning: TRACEMALLOC_LEAKS=1: tracing is off at exit (set TRACEMALLOC=N to trace from the start), no leak check

// STOPPED: tracemalloc: warning: TRACEMALLOC_LEAKS=1: tracing is off at exit (the program stopped it with tm_stop), no leak check
// STOPPED-NOT: leak

// NONE-NOT: leak
// NONE-NOT: SUMMARY

// CLI: Leak summary: 64 B definitely lost in 2 blocks, 96 B indirectly lost in 3 blocks (leaks.c.tmp, pid {{[0-9]+}})
// CLI-NEXT: Still reachable: {{[0-9]+}} B in {{[0-9]+}} blocks (not listed; --reachable)
// CLI-EMPTY:
// CLI-NEXT: Definitely lost #1: size=32 B, count=1, average=32 B
// CLI: Definitely lost #2: size=32 B, count=1, average=32 B
// CLI: Indirectly lost #3: size=64 B, count=2, average=32 B
// CLI: Indirectly lost #4: size=32 B, count=1, average=32 B
// CLI-NOT: Reachable #

// SUPP: Leak summary: 32 B definitely lost in 1 block, 64 B indirectly lost in 2 blocks (leaks.c.tmp, pid {{[0-9]+}})
// SUPP-NEXT: Still reachable: {{[0-9]+}} B in {{[0-9]+}} blocks (not listed; --reachable)
// SUPP-NEXT: Suppressed ({{.*}}.supp): 64 B in 2 blocks; 1 of 2 patterns matched:
// SUPP-NEXT:   lose_cycle: 64 B in 2 blocks
// SUPP-EMPTY:
// SUPP-NEXT: Definitely lost #1: size=32 B, count=1, average=32 B
// SUPP: Indirectly lost #2: size=64 B, count=2, average=32 B
// SUPP-NOT: lost #3

// SUPP-ALL: No leaks: every lost block was suppressed. (leaks.c.tmp, pid {{[0-9]+}})
// SUPP-ALL: Suppressed ({{.*}}.all.supp): 160 B in 5 blocks; 2 of 2 patterns matched:
// SUPP-ALL-NOT: lost #

// FILTER-NONE: No leaks in the blocks the filters keep. (leaks.c.tmp, pid {{[0-9]+}})
// FILTER-NONE-NOT: lost #

// BYTHREAD: tracemalloc: note: {{.*}}.tmd: with --thread every live block of the thread is listed, lost or not (a leak classification, if the dump has one, records no threads)
// BYTHREAD-NEXT: Leak summary: {{[0-9]+}} B in {{[0-9]+}} blocks from {{[0-9]+}} tracebacks (leaks.c.tmp, pid {{[0-9]+}})
// BYTHREAD: held = malloc(100); // global

// NOTE: tracemalloc: note: {{.*}}.term.tmd: no leak classification: every live block is listed (an exit dump of a program run with TRACEMALLOC_LEAKS=1 tells lost blocks from reachable ones)
// NOTE: #1: size=96 B, count=3, average=32 B

// REACH: Still reachable: {{[0-9]+}} B in {{[0-9]+}} blocks{{$}}
// REACH: Reachable #{{[0-9]+}}: size=4096 B, count=1, average=4096 B
// REACH-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}
// REACH-NEXT:     printf("hello\n"); // stdio
// REACH: Reachable #{{[0-9]+}}: size=100 B, count=1, average=100 B
// REACH-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}
// REACH-NEXT:     held = malloc(100); // global
// REACH: Reachable #{{[0-9]+}}: size=64 B, count=1, average=64 B
// REACH-NEXT:   File "{{.*}}leaks.c", line {{[0-9]+}}
// REACH-NEXT:     char *p = malloc(64); // interior

// TERM: tracemalloc: warning: TRACEMALLOC_LEAKS=1: the program ends on a signal; the exit dump is written without a leak check
// TERM-NOT: SUMMARY
// TERM: status 143
// NOCLASS: tracemalloc: warning: {{.*}}.term.tmd: no leak classification (only an exit dump of a normal exit with TRACEMALLOC_LEAKS=1 has one): --reachable ignored, every live block is listed
// NOCLASS: #1: size=96 B, count=3, average=32 B

// EXIT: SUMMARY: tracemalloc: 96 byte(s) leaked in 3 allocation(s).
// EXIT-NEXT: status 23
// NOEXIT-NOT: SUMMARY
// NOEXIT: status 0
// BADCODE: tracemalloc: warning: TRACEMALLOC_LEAKS_EXITCODE=x: invalid exit status (0 to 255), leaks do not change it
