/* server.c - a pretend program: the source lines the CLI reports show. */
#include "app.h"

static char *read_request(size_t n) {
  char *buf = malloc(n);
  return buf;
}

int main(void) {
  char *req = read_request(512);
  struct conn *c = conn_new();
  for (int i = 0; i < 3; i++)
    cache_put(i);
  return req && c ? 0 : 1;
}
