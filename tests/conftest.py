"""Fixtures shared by the whole suite: the repository root and the optional ../shared folder."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only ../shared folder (thesis CSVs, CIFAR-10 archive); skips where absent."""
    if not SHARED.is_dir():
        pytest.skip(f"needs ../shared beside the repository ({SHARED} is absent)")
    return SHARED


@pytest.fixture(scope="session")
def seed_dir(shared_dir: Path) -> Path:
    """The 2019 thesis CSV files."""
    return shared_dir / "seed"
