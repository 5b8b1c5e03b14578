/* make-fixtures.c - writes app.tmd and app.json, the "at exit" snapshot of
 * the pretend program in app/ used by the top/traceback/leaks/flamegraph
 * golden tests. app.tmd is also the format-compatibility golden: a binary
 * dump of format version 1 that must keep loading. Regenerate (only when
 * the fixture must change) from test/tool/Inputs:
 *   cc -I../../../include -I../../../runtime make-fixtures.c \
 *      BUILD/runtime/libtm_analysis.a -lm -o /tmp/mk && /tmp/mk
 */
#include <stdio.h>

#include "tracemalloc.h"

#define F(file, line, fn)                                                      \
  { file, line, fn }

int main(void) {
  tm_snapshot_t *s;
  tm_snapshot_new(25, &s);
  tm_frame_t req[] = {F("app/server.c", 5, "read_request"),
                      F("app/server.c", 10, "main")};
  tm_frame_t conn[] = {F("app/conn.c", 4, "conn_new"),
                       F("app/server.c", 11, "main")};
  tm_frame_t cache[] = {F("app/cache.c", 5, "cache_put"),
                        F("app/server.c", 13, "main")};
  tm_frame_t page[] = {F("app/cache.c", 8, "cache_put"),
                       F("app/server.c", 13, "main")};
  tm_frame_t thread[] = {F("<unknown>", 0, NULL)};
  tm_snapshot_add_trace(s, 0, 512, req, 2, 2);
  tm_snapshot_add_trace(s, 0, 64, conn, 2, 2);
  for (int i = 0; i < 3; i++) {
    tm_snapshot_add_trace(s, 0, 116, cache, 2, 2);
    tm_snapshot_add_trace(s, 5, 4096, page, 2, 2);
  }
  tm_snapshot_add_trace(s, 0, 40, thread, 1, 1);
  tm_snapshot_info_t info = {.size = sizeof info,
                             .traced_current = 13252,
                             .traced_peak = 20480,
                             .tracemalloc_memory = 65536,
                             .dropped_traces = 2,
                             .pid = 4242,
                             .time_ns = 1795233600000000000LL,
                             .program = "./server",
                             .has_traced_memory = true};
  tm_snapshot_set_info(s, &info);
  int rc = tm_snapshot_dump(s, "app.tmd") || tm_snapshot_dump(s, "app.json");
  tm_snapshot_free(s);
  if (rc)
    fprintf(stderr, "%s\n", tm_error_message());
  return rc;
}
