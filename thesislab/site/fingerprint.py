"""A digest of what a page shows, so that a rebuild renders again only the pages that changed.

What a generated page shows is its template, its place in the navigation (its links to the
others), its charts (`Chart.digest`: layout and rows) and its context: tables (pandas frames,
hashed by pandas row by row, lists in their cells as text, without the index labels of a frame,
which no template shows), plain values, lists, mappings and dataclasses of them. A value of
any other kind makes the page unknown (`None`): it is rendered every time.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from typing import TYPE_CHECKING, Any

from thesislab.site.charts.data import Chart

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.site.page import Page

_PLAIN = (str, int, float, bool, type(None), datetime.datetime, datetime.date)


class _UnknownValueError(Exception):
    """A value the digest cannot take."""


def _feed(hasher: Any, value: object) -> None:
    import numpy as np
    import pandas as pd

    hasher.update(type(value).__name__.encode() + b"\0")
    if isinstance(value, (*_PLAIN, np.generic)):
        hasher.update(repr(value).encode())
    elif isinstance(value, bytes):
        hasher.update(value)
    elif isinstance(value, pd.Series):  # its labels may be shown, a frame's are not
        hasher.update(repr(value.name).encode() + _rows_hash(value.to_frame(), index=True))
    elif isinstance(value, pd.DataFrame):
        hasher.update(repr(list(value.columns)).encode())
        hasher.update(_rows_hash(value, index=False))
    elif isinstance(value, Chart):
        hasher.update(value.digest.encode())
    elif isinstance(value, dict):
        for key, item in value.items():
            _feed(hasher, key)
            _feed(hasher, item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in sorted(value, key=repr) if isinstance(value, set | frozenset) else value:
            _feed(hasher, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _feed(hasher, getattr(value, item.name))
    else:
        raise _UnknownValueError
    hasher.update(b"\1")


def _rows_hash(frame: pd.DataFrame, index: bool) -> bytes:
    import pandas as pd
    from pandas.api.types import is_object_dtype

    try:
        hashed = pd.util.hash_pandas_object(frame, index=index)
    except TypeError:  # lists in cells (a row's record ids): hashed as their text
        text = {name: str for name, kind in frame.dtypes.items() if is_object_dtype(kind)}
        hashed = pd.util.hash_pandas_object(frame.astype(text), index=index)
    return hashed.to_numpy().tobytes()


def page_digest(page: Page, pages: list[Page]) -> str | None:
    """A digest of what `page` shows among `pages` (all generated pages, whose paths, titles
    and sections its links and navigation name); None where its context holds a value of
    another kind than those the digest takes."""
    hasher = hashlib.sha256()
    shown = {
        "page": (page.path, page.title, page.template, page.section, page.exported),
        "pages": [(other.path, other.title, other.section) for other in pages],
        "charts": page.charts,
        "context": page.context,
    }
    try:
        _feed(hasher, shown)
    except _UnknownValueError:
        return None
    return hasher.hexdigest()
