/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* leaky.c - the README's "Find leaks" example: a list dropped on the floor
 * (one block definitely lost, the one it points to indirectly lost) and a
 * block held by a global (reachable). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; char name[24]; };
static struct node *cache; // a global: what it holds is reachable

static struct node *make(const char *name, struct node *next) {
  struct node *n = malloc(sizeof *n);
  n->next = next;
  strncpy(n->name, name, sizeof n->name - 1);
  return n;
}

static void load(void) {
  struct node *list = make("a", make("b", NULL));
  printf("loaded %s\n", list->name);
  // list is dropped here: both nodes are lost
}

int main(void) {
  cache = make("kept", NULL);
  load();
  return 0;
}
