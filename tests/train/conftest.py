"""Fixtures of the training tests: a shared data cache and a small image-folder source."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PIL import Image

TINY_WRN = "res-10-1"
"""The smallest WideResNet (depth 10, width 16): 78,586 parameters."""
TINY_MOBILENET = "mobilenetv2_d3_er1_w8"
"""A very small MobileNetV2 (one block per stage, width 8): 3,074 parameters."""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(autouse=True)
def shared_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THESISLAB_CACHE", str(cache_dir))
    monkeypatch.delenv("THESISLAB_DATA", raising=False)


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    """40 training and 20 test images per class of the bundled sample, as an image folder."""
    from thesislab.data import load_data

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("THESISLAB_CACHE", str(cache_dir))
        sample = load_data("sample")
    root = tmp_path_factory.mktemp("data") / "small"
    for split, count in (("train", 40), ("test", 20)):
        images = getattr(sample, split).images
        labels = getattr(sample, split).labels
        for label, name in enumerate(sample.classes):
            folder = root / split / name
            folder.mkdir(parents=True)
            for index in (labels == label).nonzero()[0][:count]:
                Image.fromarray(images[index]).save(folder / f"{index}.png")
    return root


def train_command(*arguments: str) -> list[str]:
    """The command line of `thesislab train` in a fresh Python process."""
    return [sys.executable, "-m", "thesislab.train", *arguments]
