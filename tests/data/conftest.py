"""Every data test gets its own empty cache and no configured default source."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.data.data_sources import random_split


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("THESISLAB_CACHE", str(cache))
    monkeypatch.delenv("THESISLAB_DATA", raising=False)
    return cache


@pytest.fixture
def arrays() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A tiny random data set: 4 training and 2 test images per class, 3 classes."""
    rng = np.random.default_rng(0)
    return {"train": random_split(rng, 4), "test": random_split(rng, 2)}
