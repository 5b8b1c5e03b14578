/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* export_pickle.c - `tracemalloc export --format pickle`: the file CPython's
 * tracemalloc.Snapshot.dump() writes, so that Python 3's
 * tracemalloc.Snapshot.load(FILE) loads it unchanged.
 *
 * Snapshot.dump pickles the Snapshot instance. Its state is its __dict__:
 *   {"traces": _Traces(raw), "traceback_limit": N}
 * where _Traces's own __dict__ is {"_traces": raw} and raw is the list of
 * _tracemalloc's trace tuples (domain, size, traceback, total_nframe), a
 * traceback being a tuple of (filename, lineno) tuples, most recent first
 * (exactly our order), total_nframe an int or None. Both objects are made
 * the way pickle's protocol 2 makes a plain class instance:
 *
 *   GLOBAL 'tracemalloc Snapshot'  EMPTY_TUPLE  NEWOBJ   (cls.__new__(cls))
 *   EMPTY_DICT MARK key value ... SETITEMS  BUILD      (__dict__.update)
 *
 * The opcodes are written by hand (protocol 2: PROTO, GLOBAL, NEWOBJ,
 * EMPTY_DICT/LIST/TUPLE, MARK, SETITEMS, APPENDS, TUPLE/TUPLE1..3, BUILD,
 * BININT1/BININT2/BININT/LONG1, NONE, BINUNICODE, BINPUT/LONG_BINPUT,
 * BINGET/LONG_BINGET, STOP); a pickle of 1M traces with a few thousand
 * tracebacks stays small because every file name and every traceback is
 * written once and then fetched from the memo, as pickle itself does for
 * shared objects. Filename bytes that are not UTF-8 become the lone
 * surrogates U+DC80..U+DCFF (surrogateescape, as in our JSON), written in
 * the "surrogatepass" UTF-8 form BINUNICODE accepts. Function names and
 * the snapshot info have no place in CPython's Snapshot and are left out.
 */
#include <stdint.h>
#include <string.h>

#include "cli.h"
#include "export.h"
#include "ptr_map.h"
#include "snapshot_io.h"
#include "utf8.h"

/* A pickle under construction, with the memo of written objects. */
typedef struct pickler {
  tm_buf_t *out;
  tm_ptr_map_t memo; /* interned string or traceback -> memo index */
  uint32_t next;     /* next memo index */
  bool failed;
} pickler_t;

static void put_u32(tm_buf_t *b, uint32_t v) {
  unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8),
                         (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  tm_buf_append(b, le, 4);
}

/* The smallest integer opcode for v. */
static void put_int(tm_buf_t *b, int64_t v) {
  if (v >= 0 && v < 256) {
    tm_buf_putc(b, 'K'); // BININT1
    tm_buf_putc(b, (unsigned char)v);
  } else if (v >= 0 && v < 65536) {
    tm_buf_putc(b, 'M'); // BININT2
    tm_buf_putc(b, (unsigned char)v);
    tm_buf_putc(b, (unsigned char)(v >> 8));
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    tm_buf_putc(b, 'J'); // BININT, signed
    put_u32(b, (uint32_t)(int32_t)v);
  } else {
    // LONG1: length, then two's complement little endian, shortest form.
    unsigned char bytes[9];
    int n = 0;
    int64_t x = v;
    do {
      bytes[n++] = (unsigned char)(x & 0xff);
      x >>= 8; // arithmetic: sign bits shift in
    } while (!((x == 0 && !(bytes[n - 1] & 0x80)) ||
               (x == -1 && (bytes[n - 1] & 0x80))));
    tm_buf_putc(b, 0x8a);
    tm_buf_putc(b, (unsigned char)n);
    tm_buf_append(b, bytes, (size_t)n);
  }
}

static void put_uint(tm_buf_t *b, uint64_t v) {
  if (v <= INT64_MAX) {
    put_int(b, (int64_t)v);
    return;
  }
  unsigned char bytes[9]; // needs a ninth byte for the sign
  for (int i = 0; i < 8; i++)
    bytes[i] = (unsigned char)(v >> (8 * i));
  bytes[8] = 0;
  tm_buf_putc(b, 0x8a);
  tm_buf_putc(b, 9);
  tm_buf_append(b, bytes, 9);
}

/* BINUNICODE of a C string, bytes that are not UTF-8 as U+DCxx. */
static void put_str(tm_buf_t *b, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  size_t n = strlen(str), len = 0;
  for (size_t i = 0; i < n;) { // the encoded length first
    uint32_t cp;
    size_t k = tm_utf8_decode(s + i, n - i, &cp);
    len += k ? k : 3;
    i += k ? k : 1;
  }
  tm_buf_putc(b, 'X');
  put_u32(b, (uint32_t)len);
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t k = tm_utf8_decode(s + i, n - i, &cp);
    if (k) {
      tm_buf_append(b, s + i, k);
      i += k;
    } else {
      unsigned c = 0xDC00u + s[i++]; // surrogateescape, as UTF-8 bytes
      unsigned char e[3] = {(unsigned char)(0xE0 | (c >> 12)),
                            (unsigned char)(0x80 | ((c >> 6) & 0x3F)),
                            (unsigned char)(0x80 | (c & 0x3F))};
      tm_buf_append(b, e, 3);
    }
  }
}

static void memo_put(pickler_t *p, uint32_t index) {
  if (index < 256) {
    tm_buf_putc(p->out, 'q'); // BINPUT
    tm_buf_putc(p->out, (unsigned char)index);
  } else {
    tm_buf_putc(p->out, 'r'); // LONG_BINPUT
    put_u32(p->out, index);
  }
}

static void memo_get(pickler_t *p, uint32_t index) {
  if (index < 256) {
    tm_buf_putc(p->out, 'h'); // BINGET
    tm_buf_putc(p->out, (unsigned char)index);
  } else {
    tm_buf_putc(p->out, 'j'); // LONG_BINGET
    put_u32(p->out, index);
  }
}

/* True if key was written before (then it is fetched from the memo);
 * otherwise the caller writes it and calls memo_put(p, *index). */
static bool memo_seen(pickler_t *p, const void *key, uint32_t *index) {
  bool added;
  if (!tm_ptr_map_index(&p->memo, key, p->next, index, &added)) {
    p->failed = true;
    return true; // write nothing more
  }
  if (!added) {
    memo_get(p, *index);
    return true;
  }
  p->next++;
  return false;
}

static void put_filename(pickler_t *p, const char *filename) {
  uint32_t index;
  if (memo_seen(p, filename, &index))
    return;
  put_str(p->out, filename);
  memo_put(p, index);
}

/* ((filename, lineno), ...) */
static void put_traceback(pickler_t *p, const tm_traceback_t *tb) {
  uint32_t index;
  if (memo_seen(p, tb, &index))
    return;
  size_t n = tm_traceback_length(tb);
  const tm_frame_t *f = tm_traceback_frames(tb);
  tm_buf_putc(p->out, '('); // MARK
  for (size_t i = 0; i < n; i++) {
    put_filename(p, f[i].filename);
    put_uint(p->out, f[i].lineno);
    tm_buf_putc(p->out, 0x86); // TUPLE2
  }
  tm_buf_putc(p->out, 't'); // TUPLE
  memo_put(p, index);
}

static void put_global(pickler_t *p, const char *module, const char *name) {
  tm_buf_putc(p->out, 'c');
  tm_buf_puts(p->out, module);
  tm_buf_putc(p->out, '\n');
  tm_buf_puts(p->out, name);
  tm_buf_putc(p->out, '\n');
  memo_put(p, p->next++);
}

/* cls.__new__(cls), its empty __dict__ state opened with MARK. */
static void begin_instance(pickler_t *p, const char *cls) {
  put_global(p, "tracemalloc", cls);
  tm_buf_putc(p->out, ')');  // EMPTY_TUPLE
  tm_buf_putc(p->out, 0x81); // NEWOBJ
  memo_put(p, p->next++);
  tm_buf_putc(p->out, '}'); // EMPTY_DICT
  memo_put(p, p->next++);
  tm_buf_putc(p->out, '('); // MARK
}

static void end_instance(pickler_t *p) {
  tm_buf_putc(p->out, 'u'); // SETITEMS
  tm_buf_putc(p->out, 'b'); // BUILD
}

bool cli_export_pickle(const tm_snapshot_t *snap, tm_buf_t *out) {
  memset(out, 0, sizeof *out);
  pickler_t p = {.out = out};
  tm_ptr_map_init(&p.memo, sizeof(tm_ptr_index_slot_t), 1024);
  size_t n = tm_snapshot_count(snap);
  const tm_trace_t *t = tm_snapshot_traces(snap);
  tm_buf_reserve(out, 64 + n * 12);
  tm_buf_append(out, "\x80\x02", 2); // PROTO 2
  begin_instance(&p, "Snapshot");
  put_str(out, "traces");
  begin_instance(&p, "_Traces");
  put_str(out, "_traces");
  tm_buf_putc(out, ']'); // EMPTY_LIST
  memo_put(&p, p.next++);
  for (size_t i = 0; i < n && !p.failed && !out->failed; i++) {
    if (i % 1000 == 0) // APPENDS in batches, as pickle does
      tm_buf_putc(out, '(');
    tm_buf_putc(out, '('); // the trace tuple
    put_uint(out, t[i].domain);
    put_uint(out, t[i].size);
    put_traceback(&p, t[i].traceback);
    uint32_t total = tm_traceback_total_nframe(t[i].traceback);
    if (total == TM_TOTAL_NFRAME_NONE)
      tm_buf_putc(out, 'N');
    else
      put_uint(out, total);
    tm_buf_putc(out, 't');
    if (i % 1000 == 999 || i + 1 == n)
      tm_buf_putc(out, 'e'); // APPENDS
  }
  end_instance(&p); // _Traces
  put_str(out, "traceback_limit");
  put_int(out, tm_snapshot_traceback_limit(snap));
  end_instance(&p);      // Snapshot
  tm_buf_putc(out, '.'); // STOP
  tm_ptr_map_free(&p.memo);
  if (p.failed || out->failed) {
    tm_buf_free(out);
    return false;
  }
  return true;
}
