"""Fixtures of the conversion tests: a small learnable data set as a data source, a tiny network
trained on it for a few steps, recorded in a results directory, and its conversion to every
variant (made once, shared by the tests that read them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.tiny import trained_tiny_model, write_image_folder
from thesislab.deploy.convert import Variant, convert
from thesislab.models.spec import ArchSpec
from thesislab.records import Dataset, ModelRecord
from thesislab.store import Store

TRAIN_IMAGES = 400
TEST_IMAGES = 300
STEPS = 40
REPRESENTATIVE_IMAGES = 200
ALL_VARIANTS = [
    Variant("fp32"),
    Variant("fp16"),
    Variant("dynamic"),
    Variant("int8", "int8"),
    Variant("int8", "uint8"),
    Variant("int8", "float32"),
]


@pytest.fixture(scope="session")
def data_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The learnable images as an image folder."""
    return write_image_folder(tmp_path_factory.mktemp("learnable"), TRAIN_IMAGES, TEST_IMAGES)


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private data cache directory."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def trained_model(data_source: Path, cache: Path):
    """(Keras model, data set) after a few training steps."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("THESISLAB_CACHE", str(cache))
        from thesislab.data import load_data

        data = load_data(data_source)
    return trained_tiny_model(data.train.images, data.train.labels, STEPS), data


@pytest.fixture(scope="session")
def converted(trained_model) -> dict[Variant, bytes]:
    """The trained model (pixel values in) as every variant, full int8 calibrated on its first
    `REPRESENTATIVE_IMAGES` training images."""
    model, data = trained_model
    representative = data.train.images[:REPRESENTATIVE_IMAGES].astype("float32")
    return {variant: convert(model, variant, representative) for variant in ALL_VARIANTS}


@pytest.fixture
def model_store(
    trained_model, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Store, str]:
    """A results directory holding the trained model's record and `.keras` file."""
    monkeypatch.setenv("THESISLAB_CACHE", str(cache))
    model, data = trained_model
    store = Store(tmp_path / "results")
    weights = store.files_dir() / "models" / "tiny.keras"
    weights.parent.mkdir(parents=True)
    model.save(weights)
    record = ModelRecord(
        name="tiny",
        architecture=ArchSpec(family="tiny"),
        dataset=Dataset(name=data.name, fingerprint=data.fingerprint),
        weights_path=weights.relative_to(store.root).as_posix(),
    )
    return store, store.write(record)
