"""`ImageData`: a decoded image-classification data set, its fingerprint and its validation split.

Images are uint8 arrays of shape (N, height, width, 3); labels are int32 class indices into
`classes`. The fingerprint hashes the decoded content (class names, pixels, labels), not the files
it came from: the CIFAR-10 batches directory and the official tarball give the same fingerprint,
and the lossy JPEG copy of CIFAR-10 a different one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from thesislab.errors import ThesislabError

VALIDATION_SEED = 17
"""The validation split is fixed (it does not follow the training seed), as in the thesis."""


@dataclass(frozen=True)
class Split:
    """Images and labels of one split (train, validation or test)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def take(self, indices: np.ndarray) -> Split:
        """The images at `indices`, in that order."""
        return Split(self.images[indices], self.labels[indices])

    def class_counts(self, num_classes: int) -> list[int]:
        """How many images of each class this split holds."""
        return [int(count) for count in np.bincount(self.labels, minlength=num_classes)]


@dataclass(frozen=True)
class ImageData:
    """A decoded data set: train and test splits, class names, where it came from."""

    name: str
    classes: tuple[str, ...]
    train: Split
    test: Split
    fingerprint: str
    source: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of every image."""
        height, width, channels = self.train.images.shape[1:]
        return height, width, channels

    def holdout(self, size: int) -> tuple[Split, Split]:
        """Split `size` training images off for validation: (remaining train, validation).

        The split is stratified (each class keeps its share, largest remainders first) and fixed:
        it depends only on the data and `size`, never on the training seed.
        """
        if not 0 < size < len(self.train):
            raise ThesislabError(
                f"validation size must be between 1 and {len(self.train) - 1} "
                f"(the {len(self.train)} training images of {self.name}), received {size}"
            )
        counts = np.bincount(self.train.labels, minlength=len(self.classes))
        shares = counts * size / len(self.train)
        per_class = np.floor(shares).astype(int)
        leftover = size - per_class.sum()
        per_class[np.argsort(per_class - shares, kind="stable")[:leftover]] += 1
        order = np.random.default_rng(VALIDATION_SEED).permutation(len(self.train))
        held = np.zeros(len(self.train), dtype=bool)
        for label, count in enumerate(per_class):
            held[order[self.train.labels[order] == label][:count]] = True
        return self.train.take(np.flatnonzero(~held)), self.train.take(np.flatnonzero(held))


def fingerprint(classes: tuple[str, ...], train: Split, test: Split) -> str:
    """A content hash of a data set: the same images, labels and classes give the same value."""
    digest = hashlib.sha256("\n".join(classes).encode())
    for array in (train.images, train.labels, test.images, test.labels):
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:20]
