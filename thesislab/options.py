"""Command-line options several commands share, and the parsing of their values: one home for
each option's name, help and default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from thesislab.errors import ThesislabError
from thesislab.store import RESULTS_ROOT, discover

ResultsOption = Annotated[
    Path, typer.Option("--results", "-r", help="Results directory holding the records.")
]
"""One results directory, read and written (train, prune, convert, bench, lut)."""

ReadResultsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--results",
        "-r",
        help="Results directory (repeatable); a directory of results directories also works. "
        "Default: every results directory under ./experiments.",
        show_default=False,
    ),
]
"""Results directories read together (results, site, chart)."""

InventoryOption = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        help="Device inventory (YAML); default: $THESISLAB_DEVICES, ./devices.yaml, or "
        "devices.yaml in the user's config directory.",
        show_default=False,
    ),
]


def results_directories(paths: list[Path] | None) -> list[Path]:
    """The results directories at or one level under `paths` (default: ./experiments); a path
    that does not exist, or paths holding no results directory, are a one-line error."""
    given = paths or [RESULTS_ROOT]
    for path in given:
        if not path.exists():
            raise ThesislabError(f"--results: expected an existing folder, received {path}")
    found = discover(given)
    if not found:
        shown = ", ".join(str(path) for path in given)
        raise ThesislabError(
            f"--results: expected results directories (with model/ folders), found none in {shown}"
        )
    return found


def parse_assignments(pairs: list[str] | None, what: str) -> dict[str, Any]:
    """``key=value`` pairs as a mapping; values are read as JSON where they parse (numbers,
    true, false, null), else kept as text."""
    values: dict[str, Any] = {}
    for pair in pairs or []:
        key, sign, text = pair.partition("=")
        if not sign or not key.strip():
            raise ThesislabError(f"{what}: expected key=value, received {pair!r}")
        try:
            values[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            values[key.strip()] = text
    return values
