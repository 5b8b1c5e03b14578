/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cmd_export.c - `tracemalloc export SNAP --format json|binary [-o FILE]`.
 *
 * Design: serialises in memory with the library's writers (the same bytes
 * tm_snapshot_dump / tm_snapshot_dump_json produce) and writes either to
 * stdout or atomically to FILE. --format decides the format, whatever FILE's
 * suffix is (tm_snapshot_dump would pick JSON for ".json").
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"

int cmd_export(const cli_command_t *cmd, int argc, char **argv) {
  cli_opts_t o;
  int rc = cli_parse(cmd, argc, argv, &o);
  if (rc != CLI_OK) {
    cli_opts_free(&o);
    return rc < 0 ? CLI_OK : rc;
  }
  bool binary = strcmp(o.format, "binary") == 0;
  if (binary && !o.output && isatty(STDOUT_FILENO)) {
    cli_opts_free(&o);
    return cli_usage_error(cmd, "refusing to write a binary dump to a "
                                "terminal; use -o FILE or a redirection");
  }
  tm_snapshot_t *snap = NULL;
  tm_buf_t buf = {0};
  rc = cli_load(o.args[0], &o, &snap);
  if (rc == CLI_OK) {
    tm_status_t st = binary ? tm_io_serialize_binary(snap, &buf)
                            : tm_io_serialize_json(snap, &buf);
    if (st != TM_OK)
      rc = cli_error(CLI_FAILURE, "%s: %s", o.args[0], tm_error_message());
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
