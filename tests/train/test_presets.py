"""The thesis's recipe presets: their weight-decay scope, batch norm, crops, schedules, precision,
epochs and fine-tuning, loading them with overrides, and `thesislab recipes list|show`."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from typer.testing import CliRunner

from tests.train.conftest import TINY_MOBILENET
from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name
from thesislab.train.augment import draw
from thesislab.train.cli import recipes_app
from thesislab.train.decay import decay_rates
from thesislab.train.engine import learning_rate
from thesislab.train.network import build_network, load_network, save_network, zoo_network
from thesislab.train.presets import PRESETS
from thesislab.train.recipe import fine_tuning_recipe, load_recipe
from thesislab.training_recipe import Recipe


def _rates(recipe: Recipe) -> dict[str, float]:
    network = build_network(parse_name(TINY_MOBILENET).spec, recipe, mixed_precision=False)
    variables = network.trainable_variables
    return {v.path: rate for v, rate in zip(variables, decay_rates(network, recipe), strict=True)}


def test_thesis2019_decays_conv_dense_and_batch_norm_but_not_depthwise_kernels() -> None:
    rates = _rates(load_recipe(preset="thesis2019"))

    depthwise = [path for path in rates if "dwconv" in path]
    gammas = [path for path in rates if path.endswith("/gamma")]
    assert depthwise and gammas
    assert all(rates[path] == 0.0 for path in depthwise)
    assert all(rates[path] == pytest.approx(2e-4) for path in gammas)
    assert rates["stem_conv/kernel"] == rates["head_logits/bias"] == pytest.approx(2e-4)
    assert all(rates[path] for path in rates if path.endswith("/beta"))


def test_other_scopes_decay_kernels_or_everything() -> None:
    kernels = _rates(Recipe())
    assert kernels["stage1_block0_depthwise_dwconv/kernel"] == pytest.approx(1e-4)
    assert kernels["stem_bn/gamma"] == kernels["head_logits/bias"] == 0.0
    assert set(_rates(load_recipe(preset="thesis2019-pytorch")).values()) == {5e-4}


def test_batch_norm_settings_reach_the_saved_network(tmp_path: Path) -> None:
    recipe = load_recipe(preset="thesis2019-pytorch")
    network = build_network(parse_name(TINY_MOBILENET).spec, recipe, mixed_precision=False)
    save_network(network, tmp_path / "net.keras")

    loaded = zoo_network(load_network(tmp_path / "net.keras"))
    norms = [layer for layer in loaded.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms and {(n.momentum, n.epsilon) for n in norms} == {(0.9, 1e-5)}
    default = zoo_network(build_network(parse_name(TINY_MOBILENET).spec, Recipe(), False))
    assert {layer.epsilon for layer in default.layers if "_bn" in layer.name} == {1e-3}


@pytest.mark.parametrize(("preset", "low", "high"), [("thesis2019", -4, 3), (None, -4, 4)])
def test_crop_shifts(preset: str | None, low: int, high: int) -> None:
    recipe = load_recipe(preset=preset)
    offsets, _ = draw(np.random.default_rng(0), 5000, recipe.crop_positions, True)

    shifts = offsets - recipe.crop_padding
    assert (shifts.min(), shifts.max()) == (low, high)


def _rate_at_epochs(recipe: Recipe, epochs: list[int], steps_per_epoch: int = 3) -> list[float]:
    schedule = learning_rate(recipe, steps_per_epoch)
    return [float(schedule(epoch * steps_per_epoch + 1)) for epoch in epochs]


def test_multistep_drops_at_its_milestones() -> None:
    recipe = load_recipe(preset="thesis2019-pytorch")

    rates = _rate_at_epochs(recipe, [0, 59, 60, 119, 120, 159, 160, 199])

    expected = [0.1, 0.1, 0.02, 0.02, 0.004, 0.004, 0.0008, 0.0008]
    assert rates == pytest.approx(expected, rel=1e-5)
    morphnet = _rate_at_epochs(load_recipe(preset="morphnet2019"), [52, 53, 105, 106])
    assert morphnet == pytest.approx([0.1, 0.02, 0.02, 0.004], rel=1e-5)


def test_cosine_per_epoch_holds_through_each_epoch() -> None:
    recipe = load_recipe(preset="thesis2019")
    schedule = learning_rate(recipe, 5)

    assert float(schedule(0)) == float(schedule(4)) == pytest.approx(0.1)
    assert float(schedule(100 * 5)) == float(schedule(100 * 5 + 4)) == pytest.approx(0.05)
    assert float(schedule(199 * 5)) == pytest.approx(
        0.05 * (1 + np.cos(np.pi * 199 / 200)), rel=1e-3
    )


def test_every_preset_is_a_valid_named_recipe() -> None:
    for name in PRESETS:
        assert load_recipe(preset=name).name == name


def test_a_file_preset_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text("preset: thesis2019\nepochs: 30\n")

    recipe = load_recipe(path, batch_size=64)

    assert (recipe.name, recipe.epochs, recipe.batch_size) == ("thesis2019", 30, 64)
    assert recipe.weight_decay_scope == "thesis2019"
    assert load_recipe(path, preset="morphnet2019").momentum == 0.0
    path.write_text("preset: thesis2020\n")
    with pytest.raises(ThesislabError, match=f"{path}: unknown recipe preset 'thesis2020'"):
        load_recipe(path)


def test_multistep_needs_milestones() -> None:
    with pytest.raises(ThesislabError, match="expected milestones with the multistep schedule"):
        load_recipe(schedule="multistep")


def test_list_and_show() -> None:
    listed = CliRunner().invoke(recipes_app, ["list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output).keys() == PRESETS.keys()
    table = CliRunner().invoke(recipes_app, ["list"], env={"COLUMNS": "200"})
    assert "thesis2019-pytorch" in table.output and "weight_decay_scope" in table.output
    shown = CliRunner().invoke(recipes_app, ["show", "morphnet2019"])
    assert "milestones: 53, 106, 159" in shown.output.splitlines()
    as_json = CliRunner().invoke(recipes_app, ["show", "thesis2019", "--json"])
    assert Recipe.model_validate(json.loads(as_json.output)) == load_recipe(preset="thesis2019")


def test_show_an_unknown_preset_names_the_known_ones() -> None:
    result = CliRunner().invoke(recipes_app, ["show", "thesis2020"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ThesislabError)
    assert "unknown recipe preset 'thesis2020': expected one of morphnet2019" in str(
        result.exception
    )


@pytest.mark.slow
def test_training_with_a_preset_records_it_whole(tmp_path: Path, small_data: Path) -> None:
    from thesislab.data import load_data
    from thesislab.train.run import train_model

    recipe = load_recipe(preset="thesis2019-pytorch", epochs=2, batch_size=32)
    result = train_model(parse_name(TINY_MOBILENET).spec, recipe, load_data(small_data), tmp_path)

    stored = Recipe.model_validate(result.record.recipe_fields)
    assert stored == recipe
    assert result.record.recipe_fields["name"] == "thesis2019-pytorch"
    assert result.record.accuracy is not None


def test_the_thesis_presets_train_in_float32() -> None:
    assert {load_recipe(preset=name).precision for name in PRESETS} == {"float32"}
    assert Recipe().precision == "auto"  # thesislab's own: bfloat16 on a GPU


def test_a_thesis_epoch_of_50000_images_at_batch_128_has_391_steps() -> None:
    for name in PRESETS:
        recipe = load_recipe(preset=name, batch_size=128)
        assert recipe.steps_per_epoch(50_000) == 391, name
        assert recipe.images_per_epoch(50_000) == 50_000, name
    assert Recipe().steps_per_epoch(50_000) == 390  # thesislab's own: full batches only
    assert Recipe().images_per_epoch(50_000) == 49_920
    assert Recipe(last_batch="keep").steps_per_epoch(50_048) == 391  # nothing left over


def test_the_fine_tuning_preset_has_no_nesterov_and_decays_biases_and_batch_norm() -> None:
    thesis = fine_tuning_recipe({"preset": "thesis2019-fine-tuning"})
    assert (thesis.name, thesis.nesterov, thesis.momentum) == ("thesis2019-fine-tuning", False, 0.9)
    assert (thesis.epochs, thesis.learning_rate, thesis.schedule) == (20, 8e-4, "constant")
    rates = _rates(thesis)
    assert rates["head_logits/bias"] == rates["stem_bn/gamma"] == rates["stem_bn/beta"] == 5e-4
    assert set(rates.values()) == {5e-4}
    own = fine_tuning_recipe()  # thesislab's own, beside it: Nesterov, kernels only
    assert own.nesterov and own.name is None and (own.epochs, own.learning_rate) == (20, 8e-4)
    assert _rates(own)["stem_bn/gamma"] == _rates(own)["head_logits/bias"] == 0.0
    assert fine_tuning_recipe({"preset": "thesis2019-fine-tuning", "epochs": 3}).epochs == 3


@pytest.mark.slow
@pytest.mark.parametrize(("last_batch", "steps"), [("keep", 4), ("drop", 3)])
def test_an_epoch_keeps_its_last_partial_batch_where_asked(
    tmp_path: Path, last_batch: str, steps: int
) -> None:
    from rich.console import Console

    from thesislab.data import load_data
    from thesislab.train.engine import engine_class
    from thesislab.train.loop import fit

    train = load_data().train.take(np.arange(100))
    recipe = load_recipe(epochs=2, batch_size=32, last_batch=last_batch)
    network = build_network(parse_name(TINY_MOBILENET).spec, recipe, mixed_precision=False)
    engine = engine_class()(network, None, recipe, train, recipe.steps_per_epoch(len(train)))

    done = fit(engine, recipe, train, None, tmp_path / "run.npz", Console(quiet=True))

    assert int(engine.optimizer.iterations) == 2 * steps
    assert done.images == 2 * min(100, steps * 32)
