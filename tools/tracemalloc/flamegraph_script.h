/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* flamegraph_script.h - the flame graph's embedded script
 * (flamegraph_script.c). */
#ifndef TM_FLAMEGRAPH_SCRIPT_H
#define TM_FLAMEGRAPH_SCRIPT_H

/* The JavaScript, for a CDATA section of the SVG. It expects the elements
 * cmd_flamegraph.c writes: g.f frames, #details, #matched, #unzoom,
 * #search, and the CSS class "hide". */
extern const char cli_flamegraph_script[];

#endif /* TM_FLAMEGRAPH_SCRIPT_H */
