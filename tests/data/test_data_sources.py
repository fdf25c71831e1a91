"""Every data source decodes to the same arrays, fingerprint and cache behaviour."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.data.data_sources import CLASSES, archive, write_cifar_batches, write_image_folder
from thesislab.data import load_data, resolve
from thesislab.data.readers import CIFAR10_CLASSES
from thesislab.data.sources import Source

SAMPLE_FINGERPRINT = "abca95755c53f903e015"


def assert_holds(data, arrays) -> None:
    assert data.classes == CLASSES
    for split in ("train", "test"):
        images, labels = arrays[split]
        np.testing.assert_array_equal(getattr(data, split).images, images)
        np.testing.assert_array_equal(getattr(data, split).labels, labels)


def test_cifar_batches_directory_and_tarball_decode_alike(tmp_path: Path, arrays) -> None:
    directory = write_cifar_batches(
        tmp_path / "cifar-10-batches-py", arrays["train"], arrays["test"]
    )
    tarball = archive(directory, tmp_path / "cifar-10-python.tar.gz")

    from_directory, from_tarball = load_data(directory), load_data(tarball)

    assert_holds(from_directory, arrays)
    assert from_directory.name == from_tarball.name == "cifar10"
    assert from_directory.fingerprint == from_tarball.fingerprint
    np.testing.assert_array_equal(from_tarball.train.images, from_directory.train.images)


@pytest.mark.parametrize("packing", ["directory", ".zip", ".tar", ".tar.gz", ".tar.xz"])
def test_image_folder_in_every_packing(tmp_path: Path, arrays, packing: str) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    source = folder if packing == "directory" else archive(folder, tmp_path / f"tiny{packing}")

    data = load_data(source)

    assert_holds(data, arrays)
    assert data.name == "tiny"


def test_fingerprint_depends_on_content_only(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "one", arrays["train"], arrays["test"])
    batches = write_cifar_batches(tmp_path / "batches", arrays["train"], arrays["test"])
    first = load_data(folder).fingerprint

    assert resolve(folder).decode().fingerprint == first  # decoding again: same value
    assert load_data(archive(folder, tmp_path / "two.zip")).fingerprint == first
    assert load_data(batches).fingerprint == first  # same classes, pixels and labels

    images, labels = arrays["train"]
    images = images.copy()
    images[0, 0, 0, 0] ^= 1
    changed = write_image_folder(tmp_path / "three", (images, labels), arrays["test"])
    assert load_data(changed).fingerprint != first


def test_bundled_sample_is_the_default(tmp_path: Path) -> None:
    data = load_data()

    assert data.name == "cifar10-jpeg-sample"
    assert data.classes == CIFAR10_CLASSES
    assert data.fingerprint == SAMPLE_FINGERPRINT
    assert data.train.class_counts(10) == [400] * 10
    assert data.test.class_counts(10) == [100] * 10
    assert data.train.images.shape == (4000, 32, 32, 3)
    assert data.train.images.dtype == np.uint8


def test_data_environment_variable_names_the_default(
    tmp_path: Path, arrays, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_image_folder(tmp_path / "configured", arrays["train"], arrays["test"])
    monkeypatch.setenv("THESISLAB_DATA", str(folder))

    assert load_data().name == "configured"


def test_decoded_once_then_read_from_the_cache(
    tmp_path: Path, arrays, isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    first = load_data(folder)
    assert resolve(folder).cache_path.parent == isolated_cache / "data"
    assert resolve(folder).cache_path.is_file()

    def no_decoding(self: Source) -> None:
        raise AssertionError("decoded again")

    monkeypatch.setattr(Source, "decode", no_decoding)
    assert load_data(folder).fingerprint == first.fingerprint


def test_changed_source_is_decoded_again(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    before = resolve(folder).cache_path
    load_data(folder)
    images, labels = arrays["test"]
    write_image_folder(folder, arrays["train"], (images[::-1].copy(), labels))

    assert resolve(folder).cache_path != before
    np.testing.assert_array_equal(load_data(folder).test.images, images[::-1])


def test_unreadable_cache_entry_is_rebuilt(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    load_data(folder)
    resolve(folder).cache_path.write_bytes(b"not an npz file")

    assert_holds(load_data(folder), arrays)


def test_keras_download_cache(tmp_path: Path, arrays, monkeypatch: pytest.MonkeyPatch) -> None:
    keras_home = tmp_path / "keras-home"
    batches = keras_home / "datasets" / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    write_cifar_batches(batches, arrays["train"], arrays["test"])
    monkeypatch.setenv("KERAS_HOME", str(keras_home))

    data = load_data("keras")

    assert_holds(data, arrays)
    assert resolve("keras").path == batches


def test_holdout_is_stratified_fixed_and_disjoint() -> None:
    data = load_data()

    train, validation = data.holdout(500)
    again_train, again_validation = data.holdout(500)

    assert validation.class_counts(10) == [50] * 10
    assert len(train) == 3500
    np.testing.assert_array_equal(validation.images, again_validation.images)
    np.testing.assert_array_equal(train.labels, again_train.labels)
    seen = {image.tobytes() for image in train.images}
    assert not any(image.tobytes() in seen for image in validation.images)
