/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* export_pprof.c - `tracemalloc export --format pprof`: a gzipped
 * profile.proto (github.com/google/pprof/proto/profile.proto), what
 * `go tool pprof`, the pprof web UI and continuous-profiling services read.
 *
 * The profile:
 *   sample_type  [inuse_objects/count, inuse_space/bytes]: a snapshot holds
 *                the live blocks, which pprof calls in use (Go's heap
 *                profiles name them so); default_sample_type inuse_space.
 *                A snapshot with an allocation history (tm_snapshot_history)
 *                also has what Go's heap profiles put first:
 *                [alloc_objects/count, alloc_space/bytes, inuse_objects,
 *                inuse_space], every allocation since tracing started.
 *   sample       one per distinct traceback (Snapshot.statistics
 *                ('traceback'), or tm_snapshot_history_statistics with a
 *                history), biggest first: location ids most recent first
 *                (pprof's order, and ours), values [blocks, bytes], or
 *                [calls, bytes allocated, blocks, bytes] with a history.
 *   location     one per distinct (function, file, line), with one Line.
 *   function     one per distinct (function name, file); a frame without a
 *                function name gets its file name as name, so that pprof's
 *                reports still say where.
 *   string_table "" first, then every string once.
 *   time_nanos   the snapshot's time when known.
 * No mapping or address: the frames are source positions, not PCs.
 *
 * The protobuf wire format is written by hand (varints and
 * length-delimited fields; packed repeated scalars), then wrapped in gzip
 * with stored blocks (gzip_stored.c): no protobuf or zlib dependency.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "export.h"

enum { WT_VARINT = 0, WT_LEN = 2 };
/* "", inuse_objects, count, inuse_space, bytes, alloc_objects, alloc_space:
 * indexes 0..6. */
enum { FIXED_STRINGS = 7 };

static void put_tag(tm_buf_t *b, unsigned field, unsigned wt) {
  tm_buf_put_varint(b, (uint64_t)field << 3 | wt);
}

static void put_uint_field(tm_buf_t *b, unsigned field, uint64_t v) {
  put_tag(b, field, WT_VARINT);
  tm_buf_put_varint(b, v);
}

static void put_bytes_field(tm_buf_t *b, unsigned field, const void *p,
                            size_t n) {
  put_tag(b, field, WT_LEN);
  tm_buf_put_varint(b, n);
  tm_buf_append(b, p, n);
}

/* A table of ids keyed by three words (a function/location key). */
typedef struct key3 {
  const void *a, *b;
  uint64_t c;
  uint32_t id; /* 0 = empty slot */
} key3_t;

typedef struct table3 {
  key3_t *slots;
  size_t cap, count;
} table3_t;

static size_t hash3(const void *a, const void *b, uint64_t c) {
  uint64_t h = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15u;
  h = (h ^ (uint64_t)(uintptr_t)b) * 0xC2B2AE3D27D4EB4Fu;
  h = (h ^ c) * 0x165667B19E3779F9u;
  return (size_t)(h ^ (h >> 31));
}

/* The id of (a, b, c), a new one (count + 1) if absent, *added telling
 * which; 0 on out-of-memory. */
static uint32_t table3_id(table3_t *t, const void *a, const void *b, uint64_t c,
                          bool *added) {
  if ((t->count + 1) * 2 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    key3_t *s = calloc(cap, sizeof *s);
    if (!s)
      return 0;
    for (size_t i = 0; i < t->cap; i++) {
      if (!t->slots[i].id)
        continue;
      size_t j = hash3(t->slots[i].a, t->slots[i].b, t->slots[i].c) & (cap - 1);
      while (s[j].id)
        j = (j + 1) & (cap - 1);
      s[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = s;
    t->cap = cap;
  }
  size_t j = hash3(a, b, c) & (t->cap - 1);
  for (; t->slots[j].id; j = (j + 1) & (t->cap - 1))
    if (t->slots[j].a == a && t->slots[j].b == b && t->slots[j].c == c) {
      *added = false;
      return t->slots[j].id;
    }
  t->slots[j] = (key3_t){a, b, c, (uint32_t)++t->count};
  *added = true;
  return t->slots[j].id;
}

typedef struct pprof {
  tm_buf_t strings;    /* the string_table fields, in index order */
  uint32_t nstrings;   /* next string index */
  table3_t string_ids; /* interned string -> index + 1 */
  table3_t functions, locations;
  tm_buf_t functions_out, locations_out, samples_out;
  tm_buf_t msg, line; /* scratch for one message */
  bool failed;
} pprof_t;

static uint32_t add_literal(pprof_t *p, const char *s) {
  put_bytes_field(&p->strings, 6, s, strlen(s));
  return p->nstrings++;
}

/* The string index of an interned string (pointer identity). */
static uint32_t string_index(pprof_t *p, const char *s) {
  bool added;
  uint32_t id = table3_id(&p->string_ids, s, NULL, 0, &added);
  if (!id) {
    p->failed = true;
    return 0;
  }
  if (added)
    add_literal(p, s);
  // Ids count from 1 in insertion order, after the FIXED_STRINGS.
  return FIXED_STRINGS - 1 + id;
}

static uint32_t function_id(pprof_t *p, const tm_frame_t *f) {
  bool added;
  uint32_t id = table3_id(&p->functions, f->function, f->filename, 0, &added);
  if (!id) {
    p->failed = true;
    return 0;
  }
  if (added) {
    const char *name = f->function && *f->function ? f->function : f->filename;
    uint32_t name_idx = string_index(p, name);
    uint32_t file_idx = string_index(p, f->filename);
    p->msg.len = 0;
    put_uint_field(&p->msg, 1, id);
    put_uint_field(&p->msg, 2, name_idx);
    put_uint_field(&p->msg, 3, name_idx); // system_name
    put_uint_field(&p->msg, 4, file_idx);
    put_bytes_field(&p->functions_out, 5, p->msg.data, p->msg.len);
  }
  return id;
}

static uint32_t location_id(pprof_t *p, const tm_frame_t *f) {
  bool added;
  uint32_t id =
      table3_id(&p->locations, f->function, f->filename, f->lineno, &added);
  if (!id) {
    p->failed = true;
    return 0;
  }
  if (added) {
    uint32_t fn = function_id(p, f);
    p->line.len = 0;
    put_uint_field(&p->line, 1, fn);
    put_uint_field(&p->line, 2, f->lineno);
    p->msg.len = 0;
    put_uint_field(&p->msg, 1, id);
    put_bytes_field(&p->msg, 4, p->line.data, p->line.len);
    put_bytes_field(&p->locations_out, 4, p->msg.data, p->msg.len);
  }
  return id;
}

/* One sample: the traceback's locations and `nvalues` values. */
static void add_sample(pprof_t *p, const tm_traceback_t *tb,
                       const uint64_t *values, size_t nvalues) {
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *f = tm_traceback_frames(tb);
  tm_buf_t packed = {0};
  for (size_t i = 0; i < n; i++)
    tm_buf_put_varint(&packed, location_id(p, &f[i]));
  p->msg.len = 0;
  put_bytes_field(&p->msg, 1, packed.data, packed.len);
  packed.len = 0;
  for (size_t i = 0; i < nvalues; i++)
    tm_buf_put_varint(&packed, values[i]);
  put_bytes_field(&p->msg, 2, packed.data, packed.len);
  p->failed |= packed.failed;
  tm_buf_free(&packed);
  put_bytes_field(&p->samples_out, 2, p->msg.data, p->msg.len);
}

/* The samples: live blocks per traceback, and with a history every
 * allocation too. False when the statistics cannot be computed. */
static bool add_samples(pprof_t *p, const tm_snapshot_t *snap, bool history) {
  if (history) {
    tm_history_stats_t *hs = NULL;
    if (tm_snapshot_history_statistics(snap, TM_KEY_TRACEBACK, false, &hs) !=
        TM_OK)
      return false;
    size_t n = tm_history_stats_count(hs);
    const tm_history_stat_t *items = tm_history_stats_items(hs);
    for (size_t i = 0; i < n && !p->failed; i++) {
      const uint64_t v[] = {items[i].calls, items[i].allocated,
                            items[i].live_count, items[i].live_size};
      add_sample(p, items[i].traceback, v, 4);
    }
    tm_history_stats_free(hs);
    return true;
  }
  tm_statistics_t *st = NULL;
  if (tm_snapshot_statistics(snap, TM_KEY_TRACEBACK, false, &st) != TM_OK)
    return false;
  size_t n = tm_statistics_count(st);
  const tm_statistic_t *items = tm_statistics_items(st);
  for (size_t i = 0; i < n && !p->failed; i++) {
    const uint64_t v[] = {items[i].count, items[i].size};
    add_sample(p, items[i].traceback, v, 2);
  }
  tm_statistics_free(st);
  return true;
}

static void put_value_type(tm_buf_t *out, tm_buf_t *msg, uint32_t type,
                           uint32_t unit) {
  msg->len = 0;
  put_uint_field(msg, 1, type);
  put_uint_field(msg, 2, unit);
  put_bytes_field(out, 1, msg->data, msg->len);
}

bool cli_export_pprof(const tm_snapshot_t *snap, tm_buf_t *out) {
  memset(out, 0, sizeof *out);
  pprof_t p;
  memset(&p, 0, sizeof p);
  bool history = tm_snapshot_history(snap, NULL) != NULL;
  // The FIXED_STRINGS first; string_index relies on it.
  add_literal(&p, "");
  uint32_t objects = add_literal(&p, "inuse_objects");
  uint32_t count = add_literal(&p, "count");
  uint32_t space = add_literal(&p, "inuse_space");
  uint32_t bytes = add_literal(&p, "bytes");
  uint32_t alloc_objects = add_literal(&p, "alloc_objects");
  uint32_t alloc_space = add_literal(&p, "alloc_space");
  tm_buf_t proto = {0};
  if (!add_samples(&p, snap, history))
    p.failed = true;
  if (history) {
    put_value_type(&proto, &p.msg, alloc_objects, count);
    put_value_type(&proto, &p.msg, alloc_space, bytes);
  }
  put_value_type(&proto, &p.msg, objects, count);
  put_value_type(&proto, &p.msg, space, bytes);
  tm_buf_append(&proto, p.samples_out.data, p.samples_out.len);
  tm_buf_append(&proto, p.locations_out.data, p.locations_out.len);
  tm_buf_append(&proto, p.functions_out.data, p.functions_out.len);
  tm_buf_append(&proto, p.strings.data, p.strings.len);
  tm_snapshot_info_t info = {.size = sizeof info};
  if (tm_snapshot_get_info(snap, &info) == TM_OK && info.time_ns > 0)
    put_uint_field(&proto, 9, (uint64_t)info.time_ns);
  put_uint_field(&proto, 14, space); // default_sample_type
  p.failed |= proto.failed || p.strings.failed || p.samples_out.failed ||
              p.locations_out.failed || p.functions_out.failed ||
              p.msg.failed || p.line.failed;
  bool ok = !p.failed && cli_gzip_stored(proto.data, proto.len, out);
  tm_buf_free(&proto);
  tm_buf_free(&p.strings);
  tm_buf_free(&p.samples_out);
  tm_buf_free(&p.locations_out);
  tm_buf_free(&p.functions_out);
  tm_buf_free(&p.msg);
  tm_buf_free(&p.line);
  free(p.string_ids.slots);
  free(p.functions.slots);
  free(p.locations.slots);
  return ok;
}
