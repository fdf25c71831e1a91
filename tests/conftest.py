"""Fixtures shared by the whole suite: the repository root, a data cache of the session's own, the
optional ../shared folder and the process on JAX."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jax_process import JaxProcess
from thesislab.data.cache import CACHE_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data cache of the session's own, for this process and every process it starts: no test
    reads or writes the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        path = tmp_path_factory.mktemp("session-cache")
        patch.setenv(CACHE_ENV, str(path))
        yield path


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
