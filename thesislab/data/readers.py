"""Decoding data sets from the files they ship as.

Two layouts are understood, wherever their files live (a directory, a `.zip`, a `.tar` with any
compression):

- the CIFAR-10 python batches: ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and
  ``batches.meta``, pickled dictionaries of uint8 rows (unpickled with an allow-list: only NumPy
  arrays are rebuilt, so a hostile file cannot run code);
- an image folder: ``[root/]train/<class>/<image>`` and ``[root/]test/<class>/<image>``; classes are
  the sorted folder names, images are read in natural order of their file names.

Archives are read in one sequential pass, which keeps `.tar.xz` fast. Anything unreadable raises a
one-line `ThesislabError` that names the file and what was expected.
"""

from __future__ import annotations

import functools
import io
import pickle
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Literal

import numpy as np

from thesislab.data.dataset import Split
from thesislab.errors import ThesislabError

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
SPLITS = ("train", "test")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".ppm"})
_BATCH_NAME = re.compile(r"^(data_batch_\d+|test_batch|batches\.meta)$")
_ARCHIVE_ERRORS = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError)

Files = dict[PurePosixPath, bytes]


@dataclass(frozen=True)
class Decoded:
    """What a source decodes to: its layout, class names, train and test splits."""

    layout: Literal["cifar-batches", "image-folder", "packed"]
    classes: tuple[str, ...]
    train: Split
    test: Split


def is_archive(path: Path) -> bool:
    """Whether `path` names a `.zip` or `.tar[.*]` / `.tgz` file."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    return ".tar" in suffixes or (bool(suffixes) and suffixes[-1] in {".zip", ".tgz"})


def reason(error: BaseException) -> str:
    """An exception as a short one-line reason: its type and the first line of its message."""
    lines = str(error).splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _wanted(path: PurePosixPath) -> bool:
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return False
    if _BATCH_NAME.match(path.name):
        return True
    return (
        path.suffix.lower() in IMAGE_SUFFIXES and len(path.parts) >= 3 and path.parts[-3] in SPLITS
    )


def _iter_archive(path: Path) -> Iterator[tuple[PurePosixPath, Callable[[], bytes]]]:
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir():
                    yield PurePosixPath(info.filename), functools.partial(archive.read, info)
        return
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is not None:
                yield PurePosixPath(member.name), handle.read


def read_files(path: Path) -> Files:
    """The files of a directory or archive that may belong to a data set, by relative path."""
    if path.is_dir():
        return {
            PurePosixPath(file.relative_to(path).as_posix()): file.read_bytes()
            for file in sorted(path.rglob("*"))
            if file.is_file() and _wanted(PurePosixPath(file.relative_to(path).as_posix()))
        }
    try:
        return {name: read() for name, read in _iter_archive(path) if _wanted(name)}
    except _ARCHIVE_ERRORS as error:
        raise ThesislabError(
            f"{path}: expected a readable .zip or .tar archive, but it is corrupt or truncated "
            f"({reason(error)})"
        ) from None


class _ArrayUnpickler(pickle.Unpickler):
    """Rebuilds NumPy arrays, bytes, lists and dictionaries; refuses every other global."""

    _ALLOWED: ClassVar[dict[tuple[str, str], tuple[str, str]]] = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.numeric", "_frombuffer"): ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
        ("_codecs", "encode"): ("_codecs", "encode"),  # bytes, pickled by Python 3 at protocol 2
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed")
        return super().find_class(*self._ALLOWED[module, name])


def _unpickle(name: PurePosixPath, data: bytes, source: Path) -> dict[str, Any]:
    try:
        content = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
    except Exception as error:
        raise ThesislabError(
            f"{source}: {name} is not a CIFAR-10 python batch ({reason(error)})"
        ) from None
    if not isinstance(content, dict):
        raise ThesislabError(
            f"{source}: {name} should hold a dictionary, found {type(content).__name__}"
        )
    return {
        key.decode() if isinstance(key, bytes) else key: value for key, value in content.items()
    }


def _batch(name: PurePosixPath, data: bytes, source: Path) -> Split:
    content = _unpickle(name, data, source)
    rows = np.asarray(content.get("data"))
    labels = np.asarray(content.get("labels"), dtype=np.int64)
    if rows.dtype != np.uint8 or rows.ndim != 2 or rows.shape[1] != 3 * 32 * 32:
        raise ThesislabError(
            f"{source}: {name} should hold uint8 'data' of shape (N, 3072), "
            f"found {rows.dtype} {rows.shape}"
        )
    if labels.shape != (len(rows),) or not np.all((labels >= 0) & (labels < 10)):
        raise ThesislabError(
            f"{source}: {name} should hold {len(rows)} 'labels' in 0..9, found {labels.shape[0]} "
            f"in {labels.min(initial=0)}..{labels.max(initial=0)}"
        )
    images = rows.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return Split(np.ascontiguousarray(images), labels.astype(np.int32))


def _concatenate(splits: list[Split]) -> Split:
    return Split(
        np.concatenate([split.images for split in splits]),
        np.concatenate([split.labels for split in splits]),
    )


def decode_cifar_batches(files: Files, source: Path) -> Decoded:
    """Classes, train and test splits from CIFAR-10 python batch files."""
    by_name = {name.name: name for name in files if _BATCH_NAME.match(name.name)}
    train_names = sorted(
        (name for name in by_name if name.startswith("data_batch_")),
        key=lambda name: int(name.rsplit("_", 1)[1]),
    )
    if "test_batch" not in by_name or not train_names:
        found = ", ".join(sorted(by_name)) or "no batch file"
        raise ThesislabError(
            f"{source}: expected CIFAR-10 batches data_batch_1..5 and test_batch, found {found}"
        )
    classes: tuple[str, ...] = CIFAR10_CLASSES
    if "batches.meta" in by_name:
        meta = _unpickle(by_name["batches.meta"], files[by_name["batches.meta"]], source)
        names = meta.get("label_names", [])
        classes = tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names)
    train = _concatenate(
        [_batch(by_name[name], files[by_name[name]], source) for name in train_names]
    )
    test = _batch(by_name["test_batch"], files[by_name["test_batch"]], source)
    return Decoded("cifar-batches", classes, train, test)


def decode_image(data: bytes) -> np.ndarray:
    """One encoded image (JPEG, PNG, ...) as an RGB uint8 array of shape (height, width, 3)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def decode_images(blobs: list[bytes], names: list[str], source: Path | str) -> np.ndarray:
    """Several encoded images of one size as one uint8 array (N, height, width, 3)."""
    decoded = []
    for data, name in zip(blobs, names, strict=True):
        try:
            decoded.append(decode_image(data))
        except Exception as error:
            raise ThesislabError(
                f"{source}: {name} is not a readable image ({reason(error)})"
            ) from None
        if decoded[-1].shape != decoded[0].shape:
            raise ThesislabError(
                f"{source}: every image should have the size of {names[0]} "
                f"{decoded[0].shape[:2]}, but {name} is {decoded[-1].shape[:2]}"
            )
    return np.stack(decoded)


def _natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def decode_image_folder(files: Files, source: Path) -> Decoded:
    """Classes, train and test splits from a ``[root/]<split>/<class>/<image>`` layout."""
    images = [name for name in files if name.suffix.lower() in IMAGE_SUFFIXES]
    roots = sorted({name.parents[2].as_posix() for name in images})
    if len(roots) > 1:
        raise ThesislabError(
            f"{source}: expected one image-folder root holding train/ and test/, "
            f"found {len(roots)}: {', '.join(roots[:3])}"
        )
    by_split = {split: [name for name in images if name.parts[-3] == split] for split in SPLITS}
    missing = [split for split in SPLITS if not by_split[split]]
    if missing:
        raise ThesislabError(
            f"{source}: expected images under train/<class>/ and test/<class>/, "
            f"found none under {' and '.join(missing)}/"
        )
    classes = tuple(sorted({name.parts[-2] for name in by_split["train"]}))
    unknown = sorted({name.parts[-2] for name in by_split["test"]} - set(classes))
    if unknown:
        raise ThesislabError(
            f"{source}: test classes should be training classes ({', '.join(classes)}), "
            f"found test/{unknown[0]}/"
        )

    label_of = {name: label for label, name in enumerate(classes)}

    def split_of(names: list[PurePosixPath]) -> Split:
        names = sorted(names, key=lambda name: (label_of[name.parts[-2]], _natural_key(name.name)))
        pixels = decode_images(
            [files[name] for name in names], [str(name) for name in names], source
        )
        labels = np.array([label_of[name.parts[-2]] for name in names], dtype=np.int32)
        return Split(pixels, labels)

    return Decoded("image-folder", classes, split_of(by_split["train"]), split_of(by_split["test"]))


def decode_files(path: Path) -> Decoded:
    """Classes, train and test splits from a directory or archive of either layout."""
    files = read_files(path)
    if any(_BATCH_NAME.match(name.name) for name in files):
        return decode_cifar_batches(files, path)
    if files:
        return decode_image_folder(files, path)
    raise ThesislabError(
        f"{path}: expected CIFAR-10 python batches (data_batch_1..5, test_batch) or an image "
        "folder (train/<class>/<image>, test/<class>/<image>), found neither"
    )
