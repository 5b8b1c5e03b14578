/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/*
 * stress_threads - malloc/free from several threads with cross-thread frees
 * (issue #14): THREADS threads in a ring; each allocates its share of OPS
 * blocks of 16-127 bytes, writes into them and hands them to the next thread
 * through a bounded single-producer/single-consumer queue; each frees what
 * the previous thread hands it. Every block is allocated by one thread and
 * freed by another; the live set stays small (at most QUEUE blocks per
 * queue in flight).
 *
 *   stress_threads [THREADS [OPS]]     default 2 10000000 (allocations in all)
 *
 * Prints a checksum of what the consumers read, the same in every build and
 * under any interleaving.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE 1024 /* power of two */

struct queue { /* single producer, single consumer */
  _Alignas(64) _Atomic size_t head; /* next to pop, written by the consumer */
  _Alignas(64) _Atomic size_t tail; /* next to push, written by the producer */
  _Alignas(64) uint64_t *slot[QUEUE];
};

struct worker {
  pthread_t thread;
  unsigned id;
  size_t quota;        /* blocks to allocate, and blocks to receive */
  struct queue *in;    /* from the previous thread */
  struct queue *out;   /* to the next thread */
  uint64_t checksum;
};

static int push(struct queue *q, uint64_t *p) {
  size_t t = atomic_load_explicit(&q->tail, memory_order_relaxed);
  if (t - atomic_load_explicit(&q->head, memory_order_acquire) == QUEUE)
    return 0;
  q->slot[t % QUEUE] = p;
  atomic_store_explicit(&q->tail, t + 1, memory_order_release);
  return 1;
}

static uint64_t *pop(struct queue *q) {
  size_t h = atomic_load_explicit(&q->head, memory_order_relaxed);
  if (h == atomic_load_explicit(&q->tail, memory_order_acquire))
    return NULL;
  uint64_t *p = q->slot[h % QUEUE];
  atomic_store_explicit(&q->head, h + 1, memory_order_release);
  return p;
}

static void *run(void *arg) {
  struct worker *w = arg;
  uint64_t rng = 0x9E3779B97F4A7C15ull * (w->id + 1);
  size_t made = 0, freed = 0;
  uint64_t *pending = NULL; /* allocated, not yet accepted by the queue */
  while (made < w->quota || freed < w->quota || pending) {
    int progress = 0;
    if (!pending && made < w->quota) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      size_t size = 16 + (size_t)(rng % 112);
      pending = malloc(size);
      if (!pending) {
        perror("stress_threads");
        exit(1);
      }
      pending[0] = (uint64_t)made * 2654435761u ^ size;
      pending[1] = size;
      made++;
    }
    if (pending && push(w->out, pending)) {
      pending = NULL;
      progress = 1;
    }
    /* Drain what the previous thread sent: freeing it is the cross-thread
     * free, and it makes room for that thread. */
    for (uint64_t *p; freed < w->quota && (p = pop(w->in));) {
      w->checksum += p[0] + p[1];
      free(p);
      freed++;
      progress = 1;
    }
    if (!progress)
      sched_yield(); /* 2 cores, up to 4 threads: let the consumer run */
  }
  return NULL;
}

int main(int argc, char **argv) {
  unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
  size_t ops = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000000;
  if (threads < 2 || threads > 64 || ops < threads) {
    fprintf(stderr, "usage: stress_threads [THREADS (2-64) [OPS]]\n");
    return 2;
  }
  struct worker *w = calloc(threads, sizeof *w);
  struct queue *q = aligned_alloc(64, threads * sizeof *q);
  if (!w || !q) {
    perror("stress_threads");
    return 1;
  }
  memset(q, 0, threads * sizeof *q);
  for (unsigned i = 0; i < threads; i++) {
    w[i].id = i;
    w[i].quota = ops / threads;
    w[i].out = &q[i];
    w[i].in = &q[(i + threads - 1) % threads];
  }
  for (unsigned i = 0; i < threads; i++)
    if (pthread_create(&w[i].thread, NULL, run, &w[i])) {
      fprintf(stderr, "stress_threads: pthread_create failed\n");
      return 1;
    }
  uint64_t sum = 0;
  for (unsigned i = 0; i < threads; i++) {
    pthread_join(w[i].thread, NULL);
    sum += w[i].checksum;
  }
  printf("stress_threads %u %zu: %016llx\n", threads,
         (size_t)threads * (ops / threads), (unsigned long long)sum);
  free(q);
  free(w);
  return 0;
}
