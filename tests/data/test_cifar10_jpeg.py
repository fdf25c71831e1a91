"""The JPEG copy of CIFAR-10 in ../shared: decoding, fingerprint, the sample drawn from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO_ROOT
from thesislab.data import load_data
from thesislab.data.readers import CIFAR10_CLASSES

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

JPEG_FINGERPRINT = "9d5d2b86d8616c0811bc"


@pytest.fixture
def jpeg_archive(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "cifar10-jpeg.tar.xz"
    if not path.is_file():
        pytest.skip(f"needs {path}")
    return path


def test_archive_decodes_to_cifar10(jpeg_archive: Path) -> None:
    data = load_data(jpeg_archive)

    assert data.name == "cifar10-jpeg"
    assert data.classes == CIFAR10_CLASSES
    assert data.train.class_counts(10) == [5000] * 10
    assert data.test.class_counts(10) == [1000] * 10
    assert data.fingerprint == JPEG_FINGERPRINT
    mean = data.train.images.reshape(-1, 3).mean(axis=0) / 255
    np.testing.assert_allclose(mean, [0.4913, 0.4821, 0.4465], atol=2e-4)

    sample = load_data("sample")
    train_images = {image.tobytes() for image in data.train.images}
    assert all(image.tobytes() in train_images for image in sample.train.images)


def test_sample_script_is_reproducible(jpeg_archive: Path, tmp_path: Path) -> None:
    output = tmp_path / "sample.npz"
    script = REPO_ROOT / "benchmarks" / "make_sample.py"
    subprocess.run(
        [sys.executable, str(script), str(jpeg_archive), "--output", str(output)],
        check=True,
        capture_output=True,
    )

    bundled = REPO_ROOT / "thesislab" / "data" / "sample" / "cifar10-jpeg-sample.npz"
    assert output.read_bytes() == bundled.read_bytes()
