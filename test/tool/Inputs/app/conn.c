/* conn.c - a pretend connection. */
#include "app.h"
struct conn *conn_new(void) {
  struct conn *c = malloc(sizeof *c);
  return c;
}
