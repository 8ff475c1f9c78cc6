"""The local backend: CSV files in `local.dir` as the programs stores, and how peoples and spreadsheets'
CSV files are read (dialects, encodings, formula-safe cells)."""
