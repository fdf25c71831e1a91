"""The data cache: decoded data sets stored once as uint8 arrays, and the `.npz` files they live in.

Decoding 60,000 JPEG files takes seconds; loading their arrays back takes a fraction of one. Every
source is therefore decoded once into ``$THESISLAB_CACHE/data/<name>-<key>.npz`` (default
``~/.cache/thesislab``), where the key identifies the source's files (paths, sizes, modification
times): editing the source invalidates its cache entry.

`write_npz` writes a NumPy archive atomically and byte-reproducibly (fixed member timestamps), so
the same arrays always give the same file: it also writes the bundled sample and training
checkpoints.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from thesislab.filesystem import atomic_write_bytes

CACHE_ENV = "THESISLAB_CACHE"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def cache_dir() -> Path:
    """Where decoded data sets are cached: ``$THESISLAB_CACHE/data``, else under ``~/.cache``."""
    root = os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "thesislab"
    return Path(root) / "data"


def write_npz(path: Path, arrays: Mapping[str, np.ndarray], *, compress: bool = False) -> None:
    """Write `arrays` as an `.npz` file that `numpy.load` reads, atomically and reproducibly."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=_FIXED_TIME)
            info.compress_type = method
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array), allow_pickle=False)
    atomic_write_bytes(path, buffer.getvalue())


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an `.npz` file, loaded into memory (no pickled objects allowed)."""
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files}
