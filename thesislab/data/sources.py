"""Data sources: what a SOURCE argument names, and loading it through the cache.

A source is one of:

- ``sample``: the few thousand images shipped inside the package (the default);
- ``keras``: the original CIFAR-10 in Keras's download cache
  (``$KERAS_HOME/datasets/.../cifar-10-batches-py``), downloaded through Keras if absent;
- a path: a CIFAR-10 python batches directory, the official ``cifar-10-python.tar.gz``, or an
  image folder (``train/<class>/<image>``, ``test/<class>/<image>``) as a directory, ``.zip`` or
  ``.tar[.*]`` (for example the JPEG copy ``cifar10-jpeg.tar.xz``).

With no source given, ``$THESISLAB_DATA`` is used, else ``sample``. `load_data` decodes a source
once and afterwards reads the cached arrays back.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thesislab.data.cache import cache_dir, read_npz, write_npz
from thesislab.data.dataset import ImageData, Split, fingerprint
from thesislab.data.readers import Decoded, decode_files, is_archive, reason
from thesislab.data.sample import SAMPLE_NAME, SAMPLE_PATH, decode_packed
from thesislab.errors import ThesislabError
from thesislab.records import ModelRecord

DATA_ENV = "THESISLAB_DATA"
SAMPLE = "sample"
KERAS = "keras"
_CACHE_FORMAT = 1
_ARCHIVE_SUFFIXES = (".tar", ".gz", ".tgz", ".xz", ".bz2", ".zst", ".zip")


def default_source() -> str:
    """The source used when none is given: ``$THESISLAB_DATA``, else the bundled sample."""
    return os.environ.get(DATA_ENV) or SAMPLE


def keras_cifar10_dir(download: bool) -> Path:
    """Keras's extracted CIFAR-10 batches, downloaded through Keras if absent and `download`."""
    datasets = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras") / "datasets"
    found = sorted(datasets.glob("cifar-10-batches-py")) + sorted(
        datasets.glob("*/cifar-10-batches-py")
    )
    if found or not download:
        if not found:
            raise ThesislabError(f"expected CIFAR-10 in Keras's cache {datasets}, found nothing")
        return found[0]
    import keras

    try:
        keras.datasets.cifar10.load_data()
    except Exception as error:
        raise ThesislabError(
            f"CIFAR-10 is not in Keras's cache {datasets} and downloading it failed "
            f"({reason(error)}); pass a local copy as SOURCE instead"
        ) from None
    return keras_cifar10_dir(download=False)


def _file_identity(path: Path) -> str:
    files = sorted(file for file in path.rglob("*") if file.is_file()) if path.is_dir() else [path]
    lines = []
    for file in files:
        stat = file.stat()
        lines.append(f"{file.relative_to(path.parent)}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Source:
    """A resolved data source: the files it reads and where their decoded arrays are cached."""

    spec: str
    path: Path

    @property
    def key(self) -> str:
        """Identifies these files as they are now (paths, sizes, modification times)."""
        identity = f"{_CACHE_FORMAT}\n{self.path.resolve()}\n{_file_identity(self.path)}"
        return hashlib.sha256(identity.encode()).hexdigest()[:20]

    @property
    def cache_path(self) -> Path:
        """The cached arrays of this source."""
        return cache_dir() / f"{self.key}.npz"

    def name_for(self, decoded: Decoded) -> str:
        """The data set's name: ``cifar10`` for python batches, the sample's, or the file's."""
        if decoded.layout == "cifar-batches":
            return "cifar10"
        if decoded.layout == "packed":
            return SAMPLE_NAME
        name = self.path.name
        while Path(name).suffix.lower() in _ARCHIVE_SUFFIXES:
            name = Path(name).stem
        return name

    def decode(self) -> ImageData:
        """Decode the source's files (slow: `load_data` caches the result)."""
        decoded = decode_packed(self.path) if self.path == SAMPLE_PATH else decode_files(self.path)
        return ImageData(
            name=self.name_for(decoded),
            classes=decoded.classes,
            train=decoded.train,
            test=decoded.test,
            fingerprint=fingerprint(decoded.classes, decoded.train, decoded.test),
            source=self.spec,
        )


def resolve(source: str | Path | None = None, *, download: bool = True) -> Source:
    """The source a SOURCE argument names (see the module docstring)."""
    spec = str(source) if source is not None else default_source()
    if spec == SAMPLE:
        return Source(spec, SAMPLE_PATH)
    if spec == KERAS:
        return Source(spec, keras_cifar10_dir(download))
    path = Path(spec).expanduser()
    if not (path.is_dir() or (path.is_file() and is_archive(path))):
        found = "a file of another type" if path.exists() else "nothing"
        raise ThesislabError(
            f"data source {spec!r}: expected '{SAMPLE}', '{KERAS}', a directory or a .zip / "
            f".tar[.*] archive, found {found} there"
        )
    return Source(spec, path)


def _save(data: ImageData, path: Path) -> None:
    write_npz(
        path,
        {
            "name": np.array(data.name),
            "classes": np.array(data.classes),
            "fingerprint": np.array(data.fingerprint),
            "train_images": data.train.images,
            "train_labels": data.train.labels,
            "test_images": data.test.images,
            "test_labels": data.test.labels,
        },
    )


def _load(path: Path, spec: str) -> ImageData:
    arrays = read_npz(path)
    return ImageData(
        name=str(arrays["name"]),
        classes=tuple(str(name) for name in arrays["classes"]),
        train=Split(arrays["train_images"], arrays["train_labels"]),
        test=Split(arrays["test_images"], arrays["test_labels"]),
        fingerprint=str(arrays["fingerprint"]),
        source=spec,
    )


def load_data(source: str | Path | None = None) -> ImageData:
    """Load a data source, decoding it only the first time (later loads read the cache)."""
    resolved = resolve(source)
    cached = resolved.cache_path
    if cached.is_file():
        try:
            return _load(cached, resolved.spec)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            pass  # an unreadable cache entry is rebuilt below
    data = resolved.decode()
    _save(data, cached)
    return data


def load_images(record: ModelRecord, source: str | Path | None) -> ImageData:
    """The data set a model was trained on, from `source` (default: thesislab's default source),
    checked against the fingerprint the model record holds."""
    data = load_data(source)
    expected = record.dataset.fingerprint if record.dataset else None
    if expected is not None and data.fingerprint != expected:
        raise ThesislabError(
            f"data source {data.source!r}: expected the data set the model was trained on "
            f"(fingerprint {expected}), received {data.name} (fingerprint {data.fingerprint})"
        )
    return data
