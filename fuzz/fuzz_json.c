/* fuzz_json.c - libFuzzer target for the JSON reader alone (json_read.c),
 * with the round-trip oracle of fuzz_roundtrip.h. Seeds: corpus/fuzz_json
 * (documents written by the JSON writer, plus edge cases). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  tm_snapshot_t *s = NULL;
  tm_status_t st = tm_io_load_json(data, size, "fuzz.json", &s);
  if (st != TM_OK) {
    fuzz_check_rejection(st, s, "fuzz.json");
    return 0;
  }
  fuzz_roundtrip(s);
  tm_snapshot_free(s);
  return 0;
}
