"""Data that pages load as script files, for pages whose data grows with the results.

A data file is a small script handing the site script's loader (`loadData` in `site.js`) one
payload (`payload.encode`: JSON, gzip-compressed, base64-encoded) under its key. Script files
load from disk (file://), where `fetch` is refused, and only the pages that ask for them pay for
them. A file's name carries a digest of its content, so a browser never keeps a stale copy of
one after a rebuild.

A table that grows with the results (All results, the models index, the explore page's rows)
comes in several data files (`chunked`), cut where its content says: before each configuration
whose id hashes to one value in `CUT_ONE_IN`. One more result then changes the file it lands in,
not every file after it, and a rebuild in the same process encodes again only that file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from thesislab.site import payload
from thesislab.site.render import ASSETS_DIR

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DATA_DIR = f"{ASSETS_DIR}/data"
REGISTRY = "thesislabData"
"""The global object the data files add their payloads to (`site.js` reads it)."""

CUT_ONE_IN = 1024
"""A table is cut before about one configuration in this many: a few thousand rows, a few
hundred kilobytes, per data file."""
MAX_ROWS = 10_000
"""No data file of a table holds more rows (a long run of configurations none of which cuts)."""


@dataclass(frozen=True)
class DataFile:
    """One data file: the key its payload is registered under and its site path."""

    key: str
    path: str
    content: bytes


def data_file(name: str, text: str) -> DataFile:
    """The data file of JSON `text`, named `name` (and its digest), e.g. 'explore'."""
    encoded = payload.encode(text)
    key = f"{name}-{hashlib.sha256(encoded.encode()).hexdigest()[:12]}"
    registry = f"(window.{REGISTRY} = window.{REGISTRY} || {{}})"
    content = f"{registry}[{json.dumps(key)}] = {json.dumps(encoded)};\n".encode()
    return DataFile(key, f"{DATA_DIR}/{key}.js", content)


_encoded: dict[str, dict[str, DataFile]] = {}
"""The data files of each name as the last build made them, by the digest of their rows: a
rebuild in the same process (as under `mkdocs serve`) encodes only the files whose rows
changed."""


def _digest(name: str, rows: pd.DataFrame, hashes: np.ndarray) -> str:
    columns = json.dumps([name, *map(str, rows.columns)]).encode()
    return hashlib.sha256(columns + hashes.tobytes()).hexdigest()


def _cuts(units: pd.Series, max_rows: int) -> list[int]:
    """Where a table whose rows belong to `units` (in order) is cut into data files of at most
    `max_rows`: the index of the first row of each file, then the number of rows."""
    import numpy as np
    import pandas as pd

    values = units.astype(object).to_numpy()
    first = np.ones(len(values), dtype=bool)
    first[1:] = values[1:] != values[:-1]
    hashes = pd.util.hash_pandas_object(units.astype(object), index=False).to_numpy()
    chosen = np.flatnonzero(first & (hashes % CUT_ONE_IN == 0))
    cuts = [0]
    for cut in [*chosen.tolist(), len(values)]:
        while cut - cuts[-1] > max_rows:
            cuts.append(cuts[-1] + max_rows)
        if cut > cuts[-1]:
            cuts.append(cut)
    return cuts


def chunked(
    name: str,
    rows: pd.DataFrame,
    units: pd.Series,
    encode: Callable[[pd.DataFrame], str] = payload.table_json,
    max_rows: int = MAX_ROWS,
    keys: pd.Series | None = None,
) -> list[DataFile]:
    """`rows` (a table, in the order shown) as data files named `name`, each the JSON text of
    its rows (`encode`), cut only between `units` (the rows' configurations, say), or where a
    file would hold more than `max_rows`. `keys`: a key of each row's content, equal for equal
    rows within this process (that of the row of the results table it is worked out from alone,
    `frames.ROW_KEY`), which tells a file's rows apart at no cost (else their values are
    hashed)."""
    import numpy as np
    import pandas as pd

    hashes = (
        pd.util.hash_pandas_object(rows, index=False).to_numpy()
        if keys is None
        else keys.to_numpy(dtype=np.int64)
    )
    known = _encoded.get(name, {})
    made: dict[str, DataFile] = {}
    files = []
    for start, end in itertools.pairwise(_cuts(units, max_rows)):
        digest = _digest(name, rows, hashes[start:end])
        if digest not in made:
            made[digest] = known.get(digest) or data_file(name, encode(rows.iloc[start:end]))
        files.append(made[digest])
    _encoded[name] = made
    return files


def assets(files: list[DataFile]) -> dict[str, bytes]:
    """The data files as a page's assets: their content by site path."""
    return {file.path: file.content for file in files}
