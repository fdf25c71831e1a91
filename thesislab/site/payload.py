"""Data as the page script receives it: tables as JSON (`{"columns": [...], "data": [rows]}`),
gzip-compressed and base64-encoded.

Compressed payloads keep a page with thousands of rows small, and base64 text cannot be taken
for markup wherever it lands in the HTML. pandas writes the JSON (missing values as null).
"""

from __future__ import annotations

import base64
import gzip
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def table_json(frame: pd.DataFrame) -> str:
    """A table as JSON text: its column names and its rows as lists.

    The same text as `to_json(orient="split", index=False)`, written from the columns' arrays
    rather than from one Python object per cell (a third of the time)."""
    import pandas as pd

    names = pd.Series(list(frame.columns), dtype=object).to_json(orient="records")
    return f'{{"columns":{names},"data":{frame.to_json(orient="values")}}}'


def tables_json(frames: dict[str, pd.DataFrame]) -> str:
    """Several named tables as one JSON object."""
    parts = (f"{json.dumps(name)}:{table_json(frame)}" for name, frame in frames.items())
    return "{" + ",".join(parts) + "}"


COMPRESS_LEVEL = 6
"""zlib's own default: a third to a quarter of the time of the highest level, for a payload one
to three per cent larger."""


def encode(text: str) -> str:
    """JSON text, gzip-compressed (reproducibly), base64-encoded."""
    packed = gzip.compress(text.encode(), compresslevel=COMPRESS_LEVEL, mtime=0)
    return base64.b64encode(packed).decode("ascii")


def decode(text: str) -> Any:
    """The inverse of `encode`, parsed."""
    return json.loads(gzip.decompress(base64.b64decode(text)))
