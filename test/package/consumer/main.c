/* The consumer: allocate, load an instrumented plugin that allocates too,
 * then print the statistics by line: lines of both must be there (the
 * plugin's hooks bind to the program's runtime). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <tracemalloc.h>

static void *make_buffer(void) { return malloc(4096); }

int main(void) {
  void *keep = make_buffer();
  void *plugin = dlopen(PLUGIN_PATH, RTLD_NOW);
  if (!plugin) {
    fprintf(stderr, "consumer: %s\n", dlerror());
    return 1;
  }
  void *(*plugin_alloc)(void) = (void *(*)(void))dlsym(plugin, "plugin_alloc");
  if (!plugin_alloc) {
    fprintf(stderr, "consumer: %s\n", dlerror());
    return 1;
  }
  void *from_plugin = plugin_alloc();
  tm_snapshot_t *snap;
  if (tm_take_snapshot(&snap) != TM_OK) {
    fprintf(stderr, "consumer: %s\n", tm_error_message());
    return 1;
  }
  tm_statistics_t *st;
  tm_snapshot_statistics(snap, TM_KEY_LINENO, false, &st);
  const tm_statistic_t *it = tm_statistics_items(st);
  for (size_t i = 0; i < tm_statistics_count(st); i++) {
    char line[512];
    tm_format_statistic(line, sizeof line, &it[i]);
    puts(line);
  }
  tm_statistics_free(st);
  tm_snapshot_free(snap);
  free(from_plugin);
  free(keep);
  return 0;
}
