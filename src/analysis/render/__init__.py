"""Stage 5 (render): every report of a year, the workbook and the published set, swapped
in whole."""
