"""A digest of what a page shows, so that a rebuild renders again only the pages that changed;
and of what a page or chart is worked out from, so that a rebuild works out only those whose
inputs changed (`memo`).

What a generated page shows is its template, its place in the navigation (its links to the
others), its charts (`Chart.digest`: layout and rows) and its context: tables (pandas frames,
hashed by pandas row by row, lists in their cells as text, without the index labels of a frame,
which no template shows), plain values, lists, mappings and dataclasses of them. A value of
any other kind makes the page unknown (`None`): it is rendered every time.

The inputs of a page or chart are slices of the results table and plain values: a slice is
known by its columns and the keys of its rows (its `ROW_KEY` column), which cost nothing to
hash; a frame without them makes the inputs unknown.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from typing import TYPE_CHECKING, Any

from thesislab.site.charts.data import Chart
from thesislab.site.frames import ROW_KEY

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.site.page import Page

_PLAIN = (str, int, float, bool, type(None), datetime.datetime, datetime.date)


class _UnknownValueError(Exception):
    """A value the digest cannot take."""


def _feed(hasher: Any, value: object, keyed: bool = False) -> None:
    """Feed `value` to `hasher`; `keyed`: frames by their row keys (the others are unknown),
    not by their values."""
    import numpy as np
    import pandas as pd

    hasher.update(type(value).__name__.encode() + b"\0")
    if isinstance(value, (*_PLAIN, np.generic)):
        hasher.update(repr(value).encode())
    elif isinstance(value, bytes):
        hasher.update(value)
    elif isinstance(value, pd.Series) and not keyed:  # its labels may be shown, a frame's not
        hasher.update(repr(value.name).encode() + _rows_hash(value.to_frame(), index=True))
    elif isinstance(value, pd.DataFrame) and keyed:
        if ROW_KEY not in value.columns:
            raise _UnknownValueError
        hasher.update(repr(list(value.columns)).encode())
        hasher.update(value[ROW_KEY].to_numpy(dtype=np.int64).tobytes())
    elif isinstance(value, pd.DataFrame):
        hasher.update(repr(list(value.columns)).encode())
        hasher.update(_rows_hash(value, index=False))
    elif isinstance(value, Chart):
        hasher.update(value.digest.encode())
    elif isinstance(value, dict):
        for key, item in value.items():
            _feed(hasher, key, keyed)
            _feed(hasher, item, keyed)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in sorted(value, key=repr) if isinstance(value, set | frozenset) else value:
            _feed(hasher, item, keyed)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _feed(hasher, getattr(value, item.name), keyed)
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


def navigation_digest(pages: list[Page]) -> str:
    """A digest of the generated pages' paths, titles and sections: what the links and
    navigation of each page name."""
    return hashlib.sha256(repr([_place(page) for page in pages]).encode()).hexdigest()


def _place(page: Page) -> tuple[str, str, str | None]:
    return page.path, page.title, page.section


def page_digest(page: Page, pages: list[Page]) -> str | None:
    """A digest of what `page` shows among `pages` (all generated pages, whose paths, titles
    and sections its links and navigation name); None where its context holds a value of
    another kind than those the digest takes."""
    hasher = hashlib.sha256()
    shown = {
        "page": (page.path, page.title, page.template, page.section, page.exported),
        "pages": [_place(other) for other in pages],
        "charts": page.charts,
        "context": page.context,
    }
    try:
        _feed(hasher, shown)
    except _UnknownValueError:
        return None
    return hasher.hexdigest()


def inputs_digest(inputs: object) -> str | None:
    """A digest of what a page or chart is worked out from: slices of the results table (frames
    with a `ROW_KEY` column) and plain values; None where it holds another kind of value."""
    hasher = hashlib.sha256()
    try:
        _feed(hasher, inputs, keyed=True)
    except _UnknownValueError:
        return None
    return hasher.hexdigest()
