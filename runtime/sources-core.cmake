# Sources of the tracing core (trace table, interning, shadow stack, module
# functions, init) and of the hooks. Shared by two engineers: one
# list(APPEND ...) line per file.
list(APPEND TM_RUNTIME_CORE_SOURCES core.c)
list(APPEND TM_RUNTIME_CORE_SOURCES filenames.c)
list(APPEND TM_RUNTIME_CORE_SOURCES init.c)
list(APPEND TM_RUNTIME_CORE_SOURCES region.c)
list(APPEND TM_RUNTIME_CORE_SOURCES shadow_stack.c)
list(APPEND TM_RUNTIME_CORE_SOURCES take_snapshot.c)
list(APPEND TM_RUNTIME_CORE_SOURCES trace_table.c)
list(APPEND TM_RUNTIME_CORE_SOURCES traceback.c)
list(APPEND TM_RUNTIME_CORE_SOURCES tracemalloc.c)
# Allocation entry points: the __tm_* hooks, malloc interposition (empty
# under a sanitizer), the sanitizer allocator hooks, the pthread_create
# wrapper. hooks_cxx.c lets C++ exceptions (bad_alloc, a new_handler's) pass
# through its frames and run its cleanups.
list(APPEND TM_RUNTIME_CORE_SOURCES hooks_c.c)
list(APPEND TM_RUNTIME_CORE_SOURCES hooks_cxx.c)
list(APPEND TM_RUNTIME_CORE_SOURCES interpose.c)
list(APPEND TM_RUNTIME_CORE_SOURCES sanitizer_hooks.c)
list(APPEND TM_RUNTIME_CORE_SOURCES thread_start.c)
set_source_files_properties(hooks_cxx.c PROPERTIES COMPILE_OPTIONS -fexceptions)
