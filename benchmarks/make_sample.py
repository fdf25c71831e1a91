"""Regenerate the sample bundled with thesislab from the JPEG copy of CIFAR-10.

Draws a fixed number of images per class from each split (seeded, so every run writes the same
file) and packs their original JPEG bytes into ``thesislab/data/sample/``.

    python benchmarks/make_sample.py ../shared/data/cifar10-jpeg.tar.xz
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from thesislab.data.dataset import fingerprint
from thesislab.data.readers import read_files
from thesislab.data.sample import SAMPLE_PATH, decode_packed, write_packed

PER_CLASS = {"train": 400, "test": 100}
SEED = 2019


def main() -> None:
    parser = argparse.ArgumentParser(description="Regenerate the bundled CIFAR-10 sample.")
    parser.add_argument("archive", type=Path, help="image-folder archive, e.g. cifar10-jpeg.tar.xz")
    parser.add_argument("--output", type=Path, default=SAMPLE_PATH, help="packed .npz to write")
    arguments = parser.parse_args()

    files = read_files(arguments.archive)
    classes = tuple(sorted({path.parts[-2] for path in files if path.parts[-3] == "train"}))
    rng = np.random.default_rng(SEED)
    splits: dict[str, tuple[list[bytes], list[int]]] = {}
    for split, count in PER_CLASS.items():
        blobs: list[bytes] = []
        labels: list[int] = []
        for label, name in enumerate(classes):
            members = sorted(path for path in files if path.parts[-3:-1] == (split, name))
            chosen = sorted(rng.choice(len(members), size=count, replace=False))
            blobs += [files[members[index]] for index in chosen]
            labels += [label] * count
        splits[split] = (blobs, labels)
    write_packed(arguments.output, classes, splits, source=arguments.archive.name)

    data = decode_packed(arguments.output)
    megabytes = arguments.output.stat().st_size / 1e6
    print(
        f"{arguments.output}: {len(data.train)} train + {len(data.test)} test images, "
        f"{megabytes:.1f} MB, fingerprint {fingerprint(data.classes, data.train, data.test)}"
    )


if __name__ == "__main__":
    main()
