// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// uninstr_helper.cpp - a shared library built WITHOUT the pass, standing for
// any third-party C++ library: its allocations reach the runtime only
// through malloc interposition (or the sanitizer hooks), with no site.
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" {

// A heap std::string of n 'x' (n > 15: the characters are on the heap too).
void *ht_helper_new_string(size_t n) { return new std::string(n, 'x'); }

const void *ht_helper_string_data(const void *s) {
  return static_cast<const std::string *>(s)->data();
}

void ht_helper_delete_string(void *s) { delete static_cast<std::string *>(s); }

void ht_helper_free(void *p) { free(p); }

char *ht_helper_strdup(const char *s) { return strdup(s); }

void *ht_helper_realloc(void *p, size_t n) { return realloc(p, n); }
}
