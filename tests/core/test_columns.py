"""The column registry: one name per field, readers' order, formats, and no heavy imports."""

from __future__ import annotations

import math
import subprocess
import sys

from thesislab.results.columns import BY_NAME, COLUMNS, Format, View, display, names


def test_every_column_has_one_name_and_readers_see_the_key_columns_first():
    assert len(BY_NAME) == len(COLUMNS)
    assert names(View.SITE)[:6] == (
        "name",
        "accuracy",
        "accuracy_std",
        "n_seeds",
        "latency_ms",
        "device",
    )
    assert names(View.STORE)[:5] == ("name", "family", "stage", "role", "pruning_method")
    assert "role" in names(View.SITE) and "role" in names(View.CLI)
    assert "pruning_method" in names(View.CSV) and "method" not in BY_NAME


def test_values_are_written_with_their_units():
    assert display(0.925, Format.PERCENT) == "92.50 %"
    assert display(0.0012, Format.SPREAD) == "± 0.12 %"
    assert display(-0.005, Format.POINTS) == "-0.50 pts"
    assert display(1234.5, Format.MILLISECONDS) == "1,234.50 ms"
    assert display(2_000_000.0, Format.COUNT) == "2,000,000"
    assert display(1_234_567.0, Format.BYTES) == "1,234,567 B"
    assert display(1234.54, Format.SECONDS) == "1,234.5 s"
    assert display(True, Format.FLAG) == "yes"
    assert display(math.nan, Format.PERCENT) == display(None, Format.TEXT) == "–"


def test_the_registry_and_the_table_command_import_neither_pandas_nor_tensorflow():
    code = (
        "import sys, thesislab.results.columns, thesislab.cli; "
        "print(sorted({'pandas', 'tensorflow'} & set(sys.modules)))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"
