"""A generated page of the site: its path, title, template and charts, and the paths of the pages
other pages link to."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.site.charts.data import Chart

HOME = "index.md"

UNFINISHED_STAGE = "pruned"
"""Pruned networks before fine-tuning or retraining: shown on the pruning pages only."""


@dataclass
class Page:
    """One generated page (or, for `HOME`, the generated part of the home page)."""

    path: str
    """Path of the page's Markdown source relative to the docs directory, e.g. 'devices.md'."""
    title: str
    template: str
    section: str | None = None
    """Navigation section the page belongs to; None for a top-level page."""
    charts: dict[str, Chart] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    exported: bool = True
    """Whether its charts are figures for a document (downloads, `thesislab chart export`)."""
    assets: dict[str, bytes] = field(default_factory=dict)
    """Files the page loads besides the site's scripts (its data files), by site path."""


def slug(name: str) -> str:
    """A file-name-safe form of a family or method name, unique per name (and never 'index',
    the name of the sections' overview pages)."""
    simple = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if simple == name and simple != "index":
        return simple
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{simple}-{digest}" if simple else digest


def natural_order(values: pd.Series) -> pd.Series:
    """Sort keys that put 'random2' before 'random10': numbers in text compared as numbers."""
    return values.astype(str).str.replace(r"\d+", lambda found: found[0].zfill(12), regex=True)


SAMPLES = "samples.md"
LOOKUP = "lookup-tables.md"
