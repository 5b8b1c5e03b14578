# Analysis sources: snapshot model and builder, statistics and diffs,
# filters (with Python's fnmatch), text formats and Traceback.format.
list(APPEND TM_RUNTIME_ANALYSIS_SOURCES
  snapshot.c
  statistics.c
  format.c
  fnmatch.c
  filter.c
  traceback_format.c)
