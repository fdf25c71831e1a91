"""The results table: records joined into rows, and the columns readers see."""
