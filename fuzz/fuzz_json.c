/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_json.c - libFuzzer target for the JSON reader alone (json_read.c),
 * with the round-trip oracle of fuzz_roundtrip.h. Seeds: corpus/fuzz_json
 * (documents written by the JSON writer, plus edge cases). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static tm_status_t load_json(const void *data, size_t len, const char *name,
                             tm_snapshot_t **out) {
  return tm_io_load_json(data, len, name, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  return fuzz_one(data, size, load_json, "fuzz.json");
}
