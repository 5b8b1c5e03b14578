/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_io_history.c - the allocation-history section of the binary dump
 * (header flag bit 1, io/dump.c) and the "history" JSON member: a dump
 * without one loads without one, one with leaks and history loads both,
 * every bad section (with a valid checksum) or record is refused with its
 * exact message, and binary -> JSON -> binary is byte-identical; the
 * records' threads (flag bit 5, JSON "thread") and older files without
 * them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dump_payload.h"
#include "io.h"
#include "snapshot.h"
#include "tracemalloc.h"

/* info: limit 1, no traced memory, zeros, pid -1, time 0, program "";
 * one string "a.c", two tracebacks (a.c:7, a.c:8), one trace of 10 B. */
#define BASE                                                                   \
  2, 0, 0, 0, 0, 0, 1, 0, 0, 1, 3, 'a', '.', 'c', 2, 1, 2, 0, 7, 0, 1, 2, 0,   \
      8, 0, 1, 0, 10
#define BAD(msg, ...) BAD_SECTION(2, msg, __VA_ARGS__)

static void test_sections(void) {
  tm_snapshot_t *s = NULL;
  size_t n;
  const unsigned char plain[] = {BASE};
  CHECK_EQ_INT(load_payload(plain, sizeof plain, 0, &s), TM_OK);
  CHECK(tm_snapshot_history(s, &n) == NULL && n == 0);
  tm_history_t h;
  CHECK_EQ_INT(
      tm_snapshot_traceback_history(s, tm_snapshot_traces(s)[0].traceback, &h),
      TM_EINVAL);
  tm_snapshot_t *pk = NULL;
  CHECK_EQ_INT(tm_snapshot_peak(s, &pk), TM_EINVAL);
  tm_snapshot_free(s);
  // a.c:7: 3 calls of 10 B, 2 freed (1 temporary), 2 blocks (17 B) at
  // the peak; a.c:8: 1 call of 5 B, freed, temporary.
  const unsigned char two[] = {BASE, 2, 0, 3, 30, 2, 1, 17,
                               2,    1, 1, 5, 1,  1, 0, 0};
  CHECK_EQ_INT(load_payload(two, sizeof two, 2, &s), TM_OK);
  const tm_history_t *r = tm_snapshot_history(s, &n);
  CHECK_EQ_INT(n, 2);
  CHECK_EQ_INT(tm_traceback_frames(r[0].traceback)[0].lineno, 7);
  CHECK(r[0].calls == 3 && r[0].allocated == 30 && r[0].frees == 2 &&
        r[0].temporary == 1 && r[0].peak_size == 17 && r[0].peak_count == 2);
  CHECK(r[1].calls == 1 && r[1].allocated == 5 && r[1].temporary == 1);
  // The peak snapshot: 2 traces of a.c:7 sharing 17 B (9 + 8).
  CHECK_EQ_INT(tm_snapshot_peak(s, &pk), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(pk), 2);
  CHECK(tm_snapshot_traces(pk)[0].size == 9 &&
        tm_snapshot_traces(pk)[1].size == 8);
  tm_snapshot_free(pk);
  tm_snapshot_free(s);
  // Leaks (bit 0) then history (bit 1).
  const unsigned char both[] = {BASE, 1, 0, 1, 1, 8, 1, 0, 1, 10, 0, 0, 10, 1};
  CHECK_EQ_INT(load_payload(both, sizeof both, 3, &s), TM_OK);
  CHECK(tm_snapshot_leaks(s, &n) != NULL && n == 1);
  CHECK(tm_snapshot_history(s, &n) != NULL && n == 1);
  tm_snapshot_free(s);

  BAD("truncated: history records needs more bytes, 0 left");
  BAD("truncated: 2 history records need at least 14 bytes, 7 left", 2, 0, 1, 1,
      0, 0, 1, 1);
  BAD("corrupt: history record 0: traceback index 2 out of range (2 "
      "tracebacks)",
      1, 2, 1, 1, 0, 0, 1, 1);
  BAD("corrupt: history record 1: not after the previous one (records are "
      "in increasing traceback order, each once)",
      2, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1);
  BAD("corrupt: history record 0: more frees than calls", 1, 0, 1, 1, 2, 0, 1,
      1);
  BAD("corrupt: history record 0: more temporary allocations than frees", 1, 0,
      1, 1, 0, 1, 1, 1);
  BAD("corrupt: history record 0: more blocks at the peak than calls", 1, 0, 1,
      1, 0, 0, 1, 2);
  BAD("corrupt: history record 0: more bytes at the peak than allocated", 1, 0,
      1, 1, 0, 0, 2, 1);
  BAD("corrupt: 1 unexpected bytes after the history records", 0, 9);
  // An unknown flag (bit 2 is not used; 3 and 4 are other sections').
  CHECK_EQ_INT(load_payload(plain, sizeof plain, 4, &s), TM_EFORMAT);
  CHECK_EQ_STR(tm_error_message(),
               NAME ": corrupt: unknown header flags 0x0004");
  // Without the flag, a history section is bytes after the traces.
  UNFLAGGED_SECTION();
}

/* History (bit 1), threads (bit 3): threads 1 "m" (tid 5) and 2 "w" (tid 6,
 * ended), the trace in thread 1; a.c:7 has a record in each thread. */
#define HIST_THREADS                                                           \
  2, 0, 3, 30, 2, 1, 17, 2, 0, 1, 5, 1, 1, 0, 0, 2, 10, 0, 1, 'm', 12, 1, 1,   \
      'w', 1
#define HT_FLAGS                                                               \
  (TM_DUMP_FLAG_HISTORY | TM_DUMP_FLAG_THREADS | TM_DUMP_FLAG_HISTORY_THREADS)

/* The history threads section (flag bit 5): each record's thread; a dump
 * without it (every dump written before it existed) loads with no thread
 * in its history. */
static void test_history_threads(void) {
  tm_snapshot_t *s = NULL;
  size_t n;
  const unsigned char with[] = {BASE, HIST_THREADS, 1, 2};
  CHECK_EQ_INT(load_payload(with, sizeof with, HT_FLAGS, &s), TM_OK);
  const tm_history_t *r = tm_snapshot_history(s, &n);
  CHECK_EQ_INT(n, 2);
  CHECK(r[0].thread == 1 && r[0].calls == 3 && r[1].thread == 2 &&
        r[1].calls == 1);
  CHECK(r[0].traceback == r[1].traceback);
  tm_history_t sum;
  CHECK_EQ_INT(tm_snapshot_traceback_history(s, r[0].traceback, &sum), TM_OK);
  CHECK(sum.calls == 4 && sum.allocated == 35 && sum.thread == TM_THREAD_NONE);
  // The peak's traces carry the thread of their record.
  tm_snapshot_t *pk = NULL;
  CHECK_EQ_INT(tm_snapshot_peak(s, &pk), TM_OK);
  CHECK_EQ_INT(tm_snapshot_count(pk), 2);
  CHECK(tm_snapshot_traces(pk)[0].thread == 1 &&
        tm_snapshot_traces(pk)[1].thread == 1);
  tm_snapshot_free(pk);
  // Dumped again: the same bytes as a dump of the loaded snapshot's JSON.
  check_json_round_trip(s, "\"peak_count\": 0, \"thread\": 1, \"traceback\"");
  tm_snapshot_free(s);

  // Without bit 5 (an older dump): records per traceback, no thread.
  const unsigned char old[] = {BASE, 2, 0, 3, 30, 2, 1, 17,  2,  1, 1, 5,   1,
                               1,    0, 0, 2, 10, 0, 1, 'm', 12, 1, 1, 'w', 1};
  CHECK_EQ_INT(load_payload(old, sizeof old,
                            TM_DUMP_FLAG_HISTORY | TM_DUMP_FLAG_THREADS, &s),
               TM_OK);
  r = tm_snapshot_history(s, &n);
  CHECK(n == 2 && r[0].thread == TM_THREAD_NONE &&
        r[1].thread == TM_THREAD_NONE);
  CHECK_EQ_INT(tm_snapshot_threads(s, &n)[0].tid, 5);
  tm_snapshot_free(s);
  // ... and one traceback twice is refused there, as before.
  BAD_SECTION(TM_DUMP_FLAG_HISTORY | TM_DUMP_FLAG_THREADS,
              "corrupt: history record 1: not after the previous one "
              "(records are in increasing traceback order, each once)",
              HIST_THREADS);

  BAD_SECTION(HT_FLAGS, "truncated: history thread needs more bytes, 0 left",
              HIST_THREADS, 1);
  BAD_SECTION(HT_FLAGS,
              "corrupt: history record 1: thread 3 out of range (2 threads)",
              HIST_THREADS, 1, 3);
  BAD_SECTION(HT_FLAGS,
              "corrupt: history record 1: not after the previous one "
              "(records of a traceback are in increasing thread order, each "
              "once)",
              HIST_THREADS, 1, 1);
  BAD_SECTION(HT_FLAGS,
              "corrupt: history record 1: not after the previous one "
              "(records of a traceback are in increasing thread order, each "
              "once)",
              HIST_THREADS, 2, 1);
  BAD_SECTION(HT_FLAGS, "corrupt: 1 unexpected bytes after the history threads",
              HIST_THREADS, 1, 2, 0);
  BAD_SECTION(HT_FLAGS,
              "corrupt: history record 1: not after the previous one "
              "(records are in increasing traceback order, each once per "
              "thread)",
              2, 1, 3, 30, 2, 1, 17, 2, 0, 1, 5, 1, 1, 0, 0, 0, 0, 0);
  // Bit 5 needs both the history and the threads.
  BAD_SECTION(TM_DUMP_FLAG_HISTORY | TM_DUMP_FLAG_HISTORY_THREADS,
              "corrupt: header flags 0x0022: history threads (0x0020) "
              "without both a history (0x0002) and threads (0x0008)",
              2, 0, 3, 30, 2, 1, 17, 2, 1, 1, 5, 1, 1, 0, 0, 1, 2);
  BAD_SECTION(TM_DUMP_FLAG_THREADS | TM_DUMP_FLAG_HISTORY_THREADS,
              "corrupt: header flags 0x0028: history threads (0x0020) "
              "without both a history (0x0002) and threads (0x0008)",
              0, 1);
}

static tm_status_t load_json(const char *text, tm_snapshot_t **out) {
  return tm_snapshot_load_buffer(text, strlen(text), "s.json", out);
}

#define DOC                                                                    \
  "{\"format\": \"tracemalloc-json\", \"version\": 1, "                        \
  "\"traceback_limit\": 5, \"traces\": [{\"domain\": 0, \"size\": 10, "        \
  "\"traceback\": [[\"a.c\", 2]], \"total_nframe\": 1}]"
#define HREC(calls, frees, temp, psize, pcount)                                \
  "{\"calls\": " calls ", \"allocated\": 100, \"frees\": " frees               \
  ", \"temporary\": " temp ", \"peak_size\": " psize                           \
  ", \"peak_count\": " pcount                                                  \
  ", \"traceback\": [[\"a.c\", 2]], \"total_nframe\": 1}"

static void test_json(void) {
  // binary -> JSON -> binary is byte-identical with a history whose
  // traceback no trace uses.
  tm_snapshot_t *s;
  tm_snapshot_new(5, &s);
  tm_frame_t f[] = {{"a.c", 2, "f"}, {"b.c", 4, NULL}};
  tm_snapshot_add_trace(s, 0, 10, f, 2, 3);
  const tm_traceback_t *t1 = tm_snapshot_traces(s)[0].traceback;
  const char *c = tm_snapshot_intern_string(s, "c.c", 3);
  tm_frame_t g = {c, 9, NULL};
  const tm_traceback_t *t2 = tm_snapshot_intern_traceback(s, &g, 1, 1);
  tm_history_t recs[] = {{t2, 7, 700, 7, 6, 0, 0, TM_THREAD_NONE},
                         {t1, 2, 20, 1, 0, 20, 2, TM_THREAD_NONE}};
  CHECK_EQ_INT(tm_snapshot_set_history(s, recs, 2), TM_OK);
  check_json_round_trip(
      s, "\"history\": [\n  {\"calls\": 2, \"allocated\": 20, \"frees\": "
         "1, \"temporary\": 0, \"peak_size\": 20, \"peak_count\": 2, "
         "\"traceback\": [[\"a.c\", 2], [\"b.c\", 4]]");
  tm_snapshot_free(s);

  size_t n;
  CHECK_EQ_INT(load_json(DOC "}", &s), TM_OK);
  CHECK(tm_snapshot_history(s, &n) == NULL);
  tm_snapshot_free(s);
  // "history" before "traces" is read after them.
  CHECK_EQ_INT(
      load_json("{\"history\": [" HREC(
                    "1", "0", "0", "10",
                    "1") "], "
                         "\"format\": \"tracemalloc-json\", \"version\": 1, "
                         "\"traceback_limit\": 5, \"traces\": []}",
                &s),
      TM_OK);
  CHECK(tm_snapshot_history(s, &n) != NULL && n == 1);
  tm_snapshot_free(s);
  CHECK_EQ_INT(load_json(DOC ", \"history\": []}", &s), TM_OK);
  CHECK(tm_snapshot_history(s, &n) != NULL && n == 0);
  tm_snapshot_free(s);
  s = (tm_snapshot_t *)1;
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [" HREC("1", "2", "0", "0", "0") "]}", &s),
      TM_EFORMAT);
  CHECK(strstr(tm_error_message(), "history 0: more frees than calls") != NULL);
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [" HREC("1", "0", "0", "0", "0") ", " HREC(
                    "1", "0", "0", "0", "0") "]}",
                &s),
      TM_EFORMAT);
  CHECK(strstr(tm_error_message(),
               "history: the same traceback and thread twice") != NULL);
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [{\"calls\": 1, \"traceback\": [[\"a.c\", "
                    "2]], \"total_nframe\": 1}]}",
                &s),
      TM_EFORMAT);
  CHECK(strstr(tm_error_message(), "history 0: missing key \"allocated\"") !=
        NULL);
}

/* A JSON history record's "thread" is read as a trace's: an index into
 * "threads"; without it the record has no thread. */
static void test_json_threads(void) {
  tm_snapshot_t *s = NULL;
  size_t n;
#define THREADS_DOC                                                            \
  ", \"threads\": [{\"tid\": 5, \"name\": \"m\", \"ended\": false}, "          \
  "{\"tid\": 6, \"name\": \"w\", \"ended\": true}]"
#define HREC_T(thread)                                                         \
  "{\"calls\": 1, \"allocated\": 100, \"frees\": 0, \"temporary\": 0, "        \
  "\"peak_size\": 0, \"peak_count\": 0, \"thread\": " thread                   \
  ", \"traceback\": [[\"a.c\", 2]], \"total_nframe\": 1}"
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [" HREC_T("1") ", " HREC_T("0") ", " HREC(
                    "2", "0", "0", "0", "0") "]" THREADS_DOC "}",
                &s),
      TM_OK);
  const tm_history_t *r = tm_snapshot_history(s, &n);
  CHECK_EQ_INT(n, 3);
  CHECK(r[0].thread == 2 && r[1].thread == 1 && r[2].thread == TM_THREAD_NONE &&
        r[2].calls == 2);
  tm_snapshot_free(s);
  s = (tm_snapshot_t *)1;
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [" HREC_T("2") "]" THREADS_DOC "}", &s),
      TM_EFORMAT);
  CHECK(strstr(tm_error_message(),
               "thread 2 is not in \"threads\" (2 threads)") != NULL);
  CHECK_EQ_INT(load_json(DOC ", \"history\": [" HREC_T("1") ", " HREC_T(
                             "1") "]" THREADS_DOC "}",
                         &s),
               TM_EFORMAT);
  CHECK(strstr(tm_error_message(),
               "history: the same traceback and thread twice") != NULL);
  CHECK_EQ_INT(
      load_json(DOC ", \"history\": [" HREC_T("\"x\"") "]" THREADS_DOC "}", &s),
      TM_EFORMAT);
}

int main(void) {
  test_sections();
  test_history_threads();
  test_json();
  test_json_threads();
  return CHECK_DONE();
}
