"""Fixtures shared by the whole suite: the repository root, the optional ../shared folder and the
process on JAX."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jax_process import JaxProcess

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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--skip-missing-system-deps",
        action="store_true",
        help="Skip (instead of fail) tests whose system packages (chromium, openssh-server) are "
        "missing; the same as THESISLAB_SKIP_MISSING_SYSTEM_DEPS=1.",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--skip-missing-system-deps"):
        os.environ["THESISLAB_SKIP_MISSING_SYSTEM_DEPS"] = "1"


@pytest.fixture(scope="session")
def on_jax() -> Iterator[JaxProcess]:
    """A process running Keras on JAX, shared by the tests that compare the backends."""
    process = JaxProcess()
    yield process
    process.close()
