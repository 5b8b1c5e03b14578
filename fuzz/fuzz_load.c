/* fuzz_load.c - libFuzzer target for tm_snapshot_load_buffer (binary dumps
 * and JSON, detected by content). Anything accepted must round-trip through
 * both writers (fuzz_roundtrip.h); anything rejected must fail cleanly with
 * a message naming the input. Seeds: corpus/fuzz_load (written by the
 * dumper). */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_init();
  if (size > FUZZ_MAX_INPUT)
    return 0;
  tm_snapshot_t *s = NULL;
  tm_status_t st = tm_snapshot_load_buffer(data, size, "fuzz.tmd", &s);
  if (st != TM_OK) {
    fuzz_check_rejection(st, s, "fuzz.tmd");
    return 0;
  }
  fuzz_roundtrip(s);
  tm_snapshot_free(s);
  return 0;
}
