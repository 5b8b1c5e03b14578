/* A plugin the consumer loads with dlopen. */
#include <stdlib.h>

void *plugin_alloc(void);

void *plugin_alloc(void) { return malloc(8192); }
