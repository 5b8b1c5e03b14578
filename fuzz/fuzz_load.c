/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
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
  return fuzz_one(data, size, tm_snapshot_load_buffer, "fuzz.tmd");
}
