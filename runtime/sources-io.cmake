# Dump and load: the binary format (dump.c, load.c), the JSON exchange format
# (json_write.c; json_read.c on the strict lexer json_lex.c) and their shared
# buffer, varint, CRC-32C, pointer-map and atomic-write code (io_util.c).
set(TM_RUNTIME_IO_SOURCES io_util.c dump.c load.c json_write.c json_lex.c
  json_read.c)
