/* A library built WITHOUT the pass: its mallocs reach the runtime through
 * interposition and are attributed to the instrumented caller's line. */
#include <stdlib.h>
#include <string.h>

void *plain_alloc(size_t n) { return malloc(n); }
char *plain_strdup(const char *s) { return strdup(s); }
void plain_free(void *p) { free(p); }
