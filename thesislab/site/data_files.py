"""Data that pages load as script files, for pages whose data grows with the results.

A data file is a small script handing the site script's loader (`loadData` in `site.js`) one
payload (`payload.encode`: JSON, gzip-compressed, base64-encoded) under its key. Script files
load from disk (file://), where `fetch` is refused, and only the pages that ask for them pay for
them. A file's name carries a digest of its content, so a browser never keeps a stale copy of
one after a rebuild.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from thesislab.site import payload
from thesislab.site.render import ASSETS_DIR

DATA_DIR = f"{ASSETS_DIR}/data"
REGISTRY = "thesislabData"
"""The global object the data files add their payloads to (`site.js` reads it)."""


@dataclass(frozen=True)
class DataFile:
    """One data file: the key its payload is registered under and its site path."""

    key: str
    path: str
    content: bytes


def data_file(name: str, text: str) -> DataFile:
    """The data file of JSON `text`, named `name` (and its digest), e.g. 'explore-0'."""
    encoded = payload.encode(text)
    key = f"{name}-{hashlib.sha256(encoded.encode()).hexdigest()[:12]}"
    registry = f"(window.{REGISTRY} = window.{REGISTRY} || {{}})"
    content = f"{registry}[{json.dumps(key)}] = {json.dumps(encoded)};\n".encode()
    return DataFile(key, f"{DATA_DIR}/{key}.js", content)
