/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_export.c - `tracemalloc export SNAP
 *                  --format json|binary|pickle|pprof|collapsed [-o FILE]`.
 *
 * Design: serialises in memory, json and binary with the library's writers
 * (the same bytes tm_snapshot_dump / tm_snapshot_dump_json produce), the
 * formats of other tools with export.h's, and writes either to stdout or
 * atomically to FILE. --format decides the format, whatever FILE's suffix is
 * (tm_snapshot_dump would pick JSON for ".json"). The binary formats
 * (binary, pickle, pprof) are not written to a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "export.h"
#include "snapshot_io.h"

int cmd_export(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  // "-o -" is standard output, as "-" is standard input for SNAP.
  if (o.output && strcmp(o.output, "-") == 0)
    o.output = NULL;
  bool binary = strcmp(o.format, "binary") == 0;
  bool bytes = binary || strcmp(o.format, "pickle") == 0 ||
               strcmp(o.format, "pprof") == 0;
  if (bytes && !o.output && isatty(STDOUT_FILENO)) {
    cli_opts_free(&o);
    return cli_usage_error(cmd,
                           "refusing to write the binary format '%s' to a "
                           "terminal; use -o FILE or a redirection",
                           o.format);
  }
  tm_snapshot_t *snap = NULL;
  tm_buf_t buf = {0};
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK && (binary || strcmp(o.format, "json") == 0)) {
    tm_status_t st = binary ? tm_io_serialize_binary(snap, &buf)
                            : tm_io_serialize_json(snap, &buf);
    if (st != TM_OK)
      rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
  } else if (rc == CLI_OK) {
    bool ok = strcmp(o.format, "pickle") == 0 ? cli_export_pickle(snap, &buf)
              : strcmp(o.format, "pprof") == 0
                  ? cli_export_pprof(snap, &buf)
                  : cli_export_collapsed(snap, &buf);
    if (!ok)
      rc = cli_error(CLI_FAILURE, "%s: out of memory while writing %s",
                     o.args[0], o.format);
  }
  if (rc == CLI_OK && o.output) {
    if (tm_io_write_atomic(o.output, buf.data, buf.len) != TM_OK)
      rc = cli_error(CLI_FAILURE, "%s", tm_error_message());
  } else if (rc == CLI_OK) {
    if (buf.len)
      fwrite(buf.data, 1, buf.len, stdout);
    rc = cli_finish_output(stdout, "<stdout>");
  }
  tm_buf_free(&buf);
  tm_snapshot_free(snap);
  cli_opts_free(&o);
  return rc;
}
