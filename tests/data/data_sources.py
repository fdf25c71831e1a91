"""Writers of small data sources in every supported layout, for the data tests."""

from __future__ import annotations

import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ("cat", "dog", "frog")


def random_split(rng: np.random.Generator, per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` random 32x32 RGB images of each class, labels in class order."""
    labels = np.repeat(np.arange(len(CLASSES), dtype=np.int32), per_class)
    images = rng.integers(0, 256, size=(len(labels), 32, 32, 3), dtype=np.uint8)
    return images, labels


def _batch(images: np.ndarray, labels: np.ndarray) -> bytes:
    rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return pickle.dumps({b"data": rows, b"labels": labels.tolist()}, protocol=2)


def write_cifar_batches(
    directory: Path, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]
) -> Path:
    """The CIFAR-10 python layout: data_batch_1..5, test_batch, batches.meta."""
    directory.mkdir(parents=True)
    chunks = np.array_split(np.arange(len(train[1])), 5)
    for number, chunk in enumerate(chunks, start=1):
        (directory / f"data_batch_{number}").write_bytes(_batch(train[0][chunk], train[1][chunk]))
    (directory / "test_batch").write_bytes(_batch(*test))
    meta = {b"label_names": [name.encode() for name in CLASSES]}
    (directory / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return directory


def write_image_folder(
    root: Path, train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]
) -> Path:
    """``root/{train,test}/<class>/<n>.png`` (lossless, so pixels survive exactly)."""
    for split, (images, labels) in (("train", train), ("test", test)):
        for index, (image, label) in enumerate(zip(images, labels, strict=True)):
            path = root / split / CLASSES[label] / f"{index}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(path)
    return root


def archive(directory: Path, target: Path) -> Path:
    """`directory` packed (under its own name) as a .zip or a .tar with the target's compression."""
    if target.suffix == ".zip":
        with zipfile.ZipFile(target, "w") as packed:
            for path in sorted(directory.rglob("*")):
                packed.write(path, path.relative_to(directory.parent).as_posix())
    else:
        compression = {".gz": "gz", ".xz": "xz", ".bz2": "bz2"}.get(target.suffix, "")
        with tarfile.open(target, f"w:{compression}") as packed:
            packed.add(directory, arcname=directory.name)
    return target
