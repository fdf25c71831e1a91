"""Training end to end under TensorFlow: records, weights, idempotence, validation split, CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tests.train.conftest import TINY_MOBILENET, TINY_WRN
from thesislab.data import load_data
from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name, read_spec
from thesislab.records import TrainingRecipe
from thesislab.store import Store
from thesislab.train.network import load_network
from thesislab.train.recipe import load_recipe
from thesislab.train.run import run_key, train_model

pytestmark = pytest.mark.slow


def test_two_epochs_on_the_bundled_sample_beat_chance(tmp_path: Path) -> None:
    data = load_data()
    recipe = load_recipe(epochs=2, batch_size=64)

    result = train_model(parse_name(TINY_WRN).spec, recipe, data, tmp_path)

    record = result.record
    assert result.trained
    assert record.accuracy is not None and record.accuracy > 0.25  # chance: 0.10
    assert [stats.epoch for stats in record.history] == [1, 2]
    assert record.history[1].loss < record.history[0].loss
    assert (record.params, record.macs) == (78_586, 12_763_776)
    assert record.dataset is not None and record.dataset.fingerprint == data.fingerprint
    assert record.recipe_fields["precision"] == "float32"
    assert record.environment is not None and record.environment.backend == "tensorflow"
    assert record.images_per_s and record.training_time_s
    assert Store(tmp_path).get(result.record_id) == record
    assert not list((tmp_path / "checkpoints").glob("*"))

    model = load_network(tmp_path / str(record.weights_path))
    logits = model.predict(data.test.images.astype("float32"), batch_size=250, verbose=0)
    accuracy = float(np.mean(np.argmax(logits, axis=-1) == data.test.labels))
    assert accuracy == pytest.approx(record.accuracy, abs=1e-3)

    started = time.perf_counter()
    again = train_model(parse_name(TINY_WRN).spec, recipe, data, tmp_path)
    assert (again.trained, again.record_id) == (False, result.record_id)
    assert time.perf_counter() - started < 5


def test_validation_split_is_held_out(tmp_path: Path, small_data: Path) -> None:
    data = load_data(small_data)
    recipe = load_recipe(epochs=1, batch_size=32, validation_size=100)

    record = train_model(parse_name(TINY_MOBILENET).spec, recipe, data, tmp_path).record

    assert record.validation_accuracy is not None
    assert record.history[0].validation_accuracy == record.validation_accuracy
    assert record.recipe_fields["validation_size"] == 100
    other = TrainingRecipe.of(load_recipe(epochs=1, batch_size=32))
    assert run_key(record.architecture, other, data.fingerprint) != run_key(
        record.architecture, record.recipe, data.fingerprint
    )


def test_batch_larger_than_the_data(tmp_path: Path, small_data: Path) -> None:
    recipe = load_recipe(epochs=1, batch_size=1024)
    with pytest.raises(ThesislabError, match="batch size 1024 is larger than the 400"):
        train_model(parse_name(TINY_MOBILENET).spec, recipe, load_data(small_data), tmp_path)


def test_spec_from_name_json_file_or_inline(tmp_path: Path) -> None:
    spec = {"family": "mobilenetv2", "params": {"depth": 3, "width": 8, "expansion": 1}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))

    from_name, name = read_spec(TINY_MOBILENET)
    from_file, no_name = read_spec(str(path))
    inline, _ = read_spec(json.dumps(spec))

    assert name == TINY_MOBILENET and no_name is None
    assert from_file == inline
    assert from_file.params == from_name.params
    with pytest.raises(ThesislabError, match="expected an ArchSpec JSON object"):
        read_spec('{"family": "wideresnet", "depth": 10}')
