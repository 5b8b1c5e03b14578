# TM_SANITIZE=address builds the runtime, CLI and unit tests with ASan+UBSan
# (-fno-sanitize-recover=all); TM_SANITIZE=thread with TSan. Under a sanitizer
# the runtime does not interpose malloc (the sanitizer owns it) and uses
# __sanitizer_install_malloc_and_free_hooks instead (runtime/hooks/sanitizer_hooks.c).
set(TM_SANITIZE_FLAGS "")
if(TM_SANITIZE STREQUAL "address")
  set(TM_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
elseif(TM_SANITIZE STREQUAL "thread")
  set(TM_SANITIZE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
elseif(NOT TM_SANITIZE STREQUAL "")
  message(FATAL_ERROR "TM_SANITIZE must be empty, 'address' or 'thread', not '${TM_SANITIZE}'")
endif()

function(tracemalloc_sanitize target)
  if(TM_SANITIZE_FLAGS)
    target_compile_options(${target} PRIVATE ${TM_SANITIZE_FLAGS})
    target_link_options(${target} PRIVATE ${TM_SANITIZE_FLAGS})
  endif()
endfunction()
