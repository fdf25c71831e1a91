"""Presets (recipes, latency protocols) on the terminal: several side by side, one column each
and one row per field, or one field by field; '-' marks a field a preset leaves unset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import typer
from pydantic import BaseModel


def cell(value: object) -> str:
    """A field's value as table text: floats short, sequences joined, unset as '-'."""
    if isinstance(value, tuple | list):
        return ", ".join(cell(item) for item in value) or "-"
    return "-" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def print_side_by_side(title: str, presets: Mapping[str, BaseModel], fields: Sequence[str]) -> None:
    """`presets` as the columns of one table, `fields` as its rows."""
    from rich.console import Console
    from rich.table import Table

    table = Table("field", *presets, title=title)
    for key in fields:
        table.add_row(key, *(cell(getattr(preset, key)) for preset in presets.values()))
    Console().print(table)


def print_fields(preset: BaseModel) -> None:
    """One preset, a line per field."""
    for key, value in preset.model_dump().items():
        typer.echo(f"{key}: {cell(value)}")
