"""Stage 2 (ingest): read and validate the raw export; bad input is named by file, row,
column and value."""
