"""The sample shipped inside the package: a few thousand CIFAR-10 images, used when no data is set.

It is drawn from the JPEG copy of CIFAR-10 (stratified per class, train and test) by
``benchmarks/make_sample.py`` and stored as the original JPEG bytes packed into one `.npz` file
(about 1 KB per image, a third of the decoded size). Keeping the archive's own bytes means that the
sample decodes to exactly the pixels the full archive decodes to.

Packed format, per split ``s`` in (train, test): ``s_jpeg`` (all files concatenated, uint8),
``s_offsets`` (int64, N + 1 boundaries), ``s_labels`` (int32); plus ``classes`` and ``source``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from thesislab.data.cache import read_npz, write_npz
from thesislab.data.dataset import Split
from thesislab.data.readers import SPLITS, Decoded, decode_images

SAMPLE_NAME = "cifar10-jpeg-sample"
SAMPLE_PATH = Path(__file__).parent / "sample" / f"{SAMPLE_NAME}.npz"


def write_packed(
    path: Path,
    classes: tuple[str, ...],
    splits: dict[str, tuple[list[bytes], list[int]]],
    source: str,
) -> None:
    """Write encoded images and their labels, per split, as one packed `.npz` file."""
    arrays: dict[str, np.ndarray] = {"classes": np.array(classes), "source": np.array(source)}
    for split in SPLITS:
        blobs, labels = splits[split]
        arrays[f"{split}_jpeg"] = np.frombuffer(b"".join(blobs), dtype=np.uint8)
        arrays[f"{split}_offsets"] = np.cumsum([0, *map(len, blobs)], dtype=np.int64)
        arrays[f"{split}_labels"] = np.asarray(labels, dtype=np.int32)
    write_npz(path, arrays)


def decode_packed(path: Path) -> Decoded:
    """Decode a packed `.npz` file into classes, train and test splits."""
    arrays = read_npz(path)

    def split_of(split: str) -> Split:
        data, offsets = arrays[f"{split}_jpeg"].tobytes(), arrays[f"{split}_offsets"]
        blobs = [data[start:end] for start, end in itertools.pairwise(offsets)]
        names = [f"{split} image {index}" for index in range(len(blobs))]
        return Split(decode_images(blobs, names, path), arrays[f"{split}_labels"])

    classes = tuple(str(name) for name in arrays["classes"])
    return Decoded("packed", classes, split_of("train"), split_of("test"))
