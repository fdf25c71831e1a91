"""Reading the 2019 thesis CSV files: format detection and typed cells with file:line errors."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from thesislab.errors import ThesislabError


class Format(Enum):
    """The thesis CSV formats, told apart by their columns."""

    ARCHITECTURES = "architectures"
    """file_name, arch, depth, width, other[, se], acc1..N or acc[, time]"""
    PRUNING = "pruning"
    """file_name, no_fine_tune, fine_tune, retrain_scratch, table_time, measured_time, ..."""
    KD_PIPELINE = "kd_pipeline"
    """file_name, pipeline[, group], acc1..N"""
    KD_NET = "kd_net"
    """name, net, KD_pipeline, acc1..N[, time]"""


_REQUIRED: dict[Format, frozenset[str]] = {
    Format.PRUNING: frozenset(
        {
            "file_name",
            "no_fine_tune",
            "fine_tune",
            "retrain_scratch",
            "table_time",
            "measured_time",
            "method",
            "criterion",
        }
    ),
    Format.ARCHITECTURES: frozenset({"file_name", "arch", "depth", "width", "other"}),
    Format.KD_PIPELINE: frozenset({"file_name", "pipeline"}),
    Format.KD_NET: frozenset({"name", "net", "KD_pipeline"}),
}
_ACCURACY_COLUMN = re.compile(r"^acc(\d*)$")


@dataclass(frozen=True)
class Row:
    """One data line of a thesis CSV, with its position for error messages."""

    path: Path
    line: int
    cells: dict[str, str]

    def fail(self, message: str) -> ThesislabError:
        """An error located at this row."""
        return ThesislabError(f"{self.path}:{self.line}: {message}")

    def text(self, column: str) -> str:
        """A non-empty text cell."""
        value = self.cells.get(column, "").strip()
        if not value:
            raise self.fail(f"expected a value in column '{column}', received an empty cell")
        return value

    def number(self, column: str) -> float | None:
        """A numeric cell; empty and `NaN` cells are missing (None)."""
        value = self.cells.get(column, "").strip()
        if value == "" or value.lower() == "nan":
            return None
        try:
            number = float(value)
        except ValueError:
            raise self.fail(f"expected a number in column '{column}', received {value!r}") from None
        if not math.isfinite(number):
            raise self.fail(f"expected a finite number in column '{column}', received {value!r}")
        return number

    def integer(self, column: str) -> int | None:
        """A whole-number cell (written `12` or `12.0`); missing is None."""
        number = self.number(column)
        if number is None:
            return None
        if not number.is_integer():
            raise self.fail(f"expected a whole number in column '{column}', received {number}")
        return int(number)

    def fraction(self, column: str) -> float | None:
        """An accuracy cell: a fraction in [0, 1]."""
        number = self.number(column)
        if number is not None and not 0.0 <= number <= 1.0:
            raise self.fail(
                f"expected an accuracy in [0, 1] in column '{column}', received {number}"
            )
        return number


@dataclass(frozen=True)
class ThesisFile:
    """A parsed thesis CSV: its format, accuracy columns and rows (blank lines kept as None)."""

    path: Path
    format: Format
    accuracy_columns: tuple[str, ...]
    rows: tuple[Row | None, ...]


def detect_format(path: Path, columns: list[str]) -> Format:
    """The format whose required columns are all present (the first match wins)."""
    present = set(columns)
    for candidate, required in _REQUIRED.items():
        if required <= present:
            return candidate
    expected = "; ".join(sorted(", ".join(sorted(cols)) for cols in _REQUIRED.values()))
    raise ThesislabError(
        f"{path}:1: unknown thesis CSV format: expected the columns of one of [{expected}], "
        f"received {', '.join(columns)}"
    )


def read_thesis_file(path: Path) -> ThesisFile:
    """Read one CSV, detecting its format and checking every line has the header's width."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ThesislabError(f"{path}: cannot read: {error}") from None
    lines = list(csv.reader(text.splitlines()))
    if not lines or not lines[0]:
        raise ThesislabError(f"{path}:1: expected a header line, received an empty file")
    header = [column.strip() for column in lines[0]]
    file_format = detect_format(path, header)
    accuracy_columns = tuple(
        sorted(
            (column for column in header if _ACCURACY_COLUMN.match(column)),
            key=lambda column: int(column[3:] or 0),
        )
    )
    if file_format is not Format.PRUNING and not accuracy_columns:
        raise ThesislabError(
            f"{path}:1: expected accuracy columns 'acc' or 'acc1', 'acc2', ..., "
            f"received {', '.join(header)}"
        )
    return ThesisFile(path, file_format, accuracy_columns, tuple(_rows(path, header, lines[1:])))


def _rows(path: Path, header: list[str], lines: list[list[str]]) -> Iterator[Row | None]:
    for number, cells in enumerate(lines, start=2):
        if not any(cell.strip() for cell in cells):
            yield None
            continue
        if len(cells) != len(header):
            raise ThesislabError(
                f"{path}:{number}: expected {len(header)} columns, received {len(cells)}"
            )
        yield Row(path, number, dict(zip(header, cells, strict=True)))
