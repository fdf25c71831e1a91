"""A corrupt or wrongly laid-out source gives a one-line error naming what is wrong."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from tests.data.data_sources import archive, write_cifar_batches, write_image_folder
from thesislab.data import load_data
from thesislab.errors import ThesislabError


def error_of(source: Path | str) -> str:
    with pytest.raises(ThesislabError) as raised:
        load_data(source)
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_missing_path() -> None:
    assert "found nothing there" in error_of("no/such/place")


def test_file_of_another_type(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "found a file of another type" in error_of(text)


def test_truncated_tarball(tmp_path: Path, arrays) -> None:
    batches = write_cifar_batches(tmp_path / "cifar-10-batches-py", arrays["train"], arrays["test"])
    tarball = archive(batches, tmp_path / "cifar-10-python.tar.gz")
    tarball.write_bytes(tarball.read_bytes()[:2000])

    message = error_of(tarball)
    assert str(tarball) in message
    assert "corrupt or truncated" in message


def test_garbage_zip(tmp_path: Path) -> None:
    garbage = tmp_path / "images.zip"
    garbage.write_bytes(os.urandom(300))
    assert "expected a readable .zip or .tar archive" in error_of(garbage)


def test_batch_that_is_not_a_pickle(tmp_path: Path, arrays) -> None:
    batches = write_cifar_batches(tmp_path / "batches", arrays["train"], arrays["test"])
    (batches / "data_batch_3").write_bytes(b"\x00garbage")

    assert "data_batch_3 is not a CIFAR-10 python batch" in error_of(batches)


def test_batch_of_the_wrong_shape(tmp_path: Path, arrays) -> None:
    batches = write_cifar_batches(tmp_path / "batches", arrays["train"], arrays["test"])
    content = {b"data": arrays["test"][0].reshape(6, -1)[:, :100], b"labels": [0] * 6}
    (batches / "test_batch").write_bytes(pickle.dumps(content, protocol=2))

    assert "should hold uint8 'data' of shape (N, 3072)" in error_of(batches)


def test_missing_test_batch(tmp_path: Path, arrays) -> None:
    batches = write_cifar_batches(tmp_path / "batches", arrays["train"], arrays["test"])
    (batches / "test_batch").unlink()

    assert "expected CIFAR-10 batches data_batch_1..5 and test_batch" in error_of(batches)


def test_pickle_with_code_is_refused(tmp_path: Path, arrays) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("touch pwned",))

    batches = write_cifar_batches(tmp_path / "batches", arrays["train"], arrays["test"])
    (batches / "data_batch_1").write_bytes(pickle.dumps({b"data": Exploit()}))

    assert "is not allowed" in error_of(batches)
    assert not Path("pwned").exists()


def test_folder_without_splits(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"whatever")

    assert "found neither" in error_of(tmp_path / "photos")


def test_folder_without_test_split(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    for image in (folder / "test").rglob("*.png"):
        image.unlink()

    assert "found none under test/" in error_of(folder)


def test_unknown_test_class(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    (folder / "test" / "cat").rename(folder / "test" / "lion")

    assert "found test/lion/" in error_of(folder)


def test_corrupt_image(tmp_path: Path, arrays) -> None:
    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    (folder / "train" / "dog" / "5.png").write_bytes(b"not a png")

    assert "train/dog/5.png is not a readable image" in error_of(folder)


def test_images_of_different_sizes(tmp_path: Path, arrays) -> None:
    from PIL import Image

    folder = write_image_folder(tmp_path / "tiny", arrays["train"], arrays["test"])
    Image.new("RGB", (40, 30)).save(folder / "test" / "frog" / "5.png")

    assert "test/frog/5.png is (30, 40)" in error_of(folder)
