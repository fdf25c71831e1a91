"""The recipe: thesislab's defaults, YAML files and command-line overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from thesislab.errors import ThesislabError
from thesislab.train.recipe import load_recipe, retraining_recipe
from thesislab.training_recipe import Recipe


def test_defaults_are_thesislabs_recipe() -> None:
    recipe = Recipe()

    assert (recipe.epochs, recipe.batch_size, recipe.learning_rate) == (200, 128, 0.1)
    assert (recipe.momentum, recipe.nesterov, recipe.schedule) == (0.9, True, "cosine")
    assert recipe.weight_decay == 1e-4
    assert (recipe.crop_padding, recipe.flip) == (4, True)
    assert recipe.mean == (125.3, 123.0, 113.9)
    assert recipe.distillation is None
    assert recipe.validation_size == 0
    assert recipe.name is None and recipe.weight_decay_scope == "kernels"
    assert (recipe.bn_momentum, recipe.bn_epsilon, recipe.crop_positions) == (None, None, 9)


def test_file_then_options(tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text("epochs: 30\nbatch_size: 512\nwarmup_epochs: 5\n")

    recipe = load_recipe(path, batch_size=256, seed=3, label_smoothing=None)

    assert (recipe.epochs, recipe.batch_size, recipe.seed) == (30, 256, 3)
    assert recipe.warmup_epochs == 5
    assert recipe.label_smoothing == 0.0
    assert recipe.peak_learning_rate == pytest.approx(0.2)  # linear scaling from batch 128


def test_distillation_options_merge_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text("distillation:\n  teacher_id: abc123\n  kd_lambda: 0.5\n")

    recipe = load_recipe(path, distillation={"teacher_id": None, "temperature": 4.0})

    assert recipe.distillation is not None
    assert recipe.distillation.teacher_id == "abc123"
    assert (recipe.distillation.kd_lambda, recipe.distillation.temperature) == (0.5, 4.0)
    assert load_recipe(distillation={"teacher_id": None}).distillation is None


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("epochs: 30\nmomemtum: 0.8\n", {}, "recipe field 'momemtum': unknown key"),
        ("", {"epochs": 0}, "recipe field 'epochs': Input should be greater than or equal to 1"),
        ("", {"distillation": {"kd_lambda": 0.5}}, "'distillation.teacher_id': Field required"),
        ("- 1\n- 2\n", {}, "expected a mapping of recipe fields, found list"),
        ("epochs: [\n", {}, "expected a readable YAML recipe"),
    ],
)
def test_bad_recipes_give_one_line_errors(
    tmp_path: Path, text: str, options: dict[str, object], expected: str
) -> None:
    path = tmp_path / "recipe.yaml"
    path.write_text(text)

    with pytest.raises(ThesislabError) as raised:
        load_recipe(path, **options)

    assert expected in str(raised.value)
    assert "\n" not in str(raised.value)


def test_retraining_keeps_the_parents_recipe_on_every_image() -> None:
    parent = load_recipe(
        None, preset="thesis2019-pytorch", validation_size=5000, seed=3
    ).model_dump()
    retraining = load_recipe(None, **retraining_recipe(parent))
    assert retraining.validation_size == 0
    assert retraining.model_dump() == {**parent, "validation_size": 0}


def test_a_retraining_preset_replaces_the_parents_recipe_but_its_seed() -> None:
    parent = {"preset": "morphnet2019", "learning_rate": 0.01, "seed": 2}
    retraining = retraining_recipe(parent, {"preset": "thesis2019-pytorch"})
    assert retraining == {"preset": "thesis2019-pytorch", "seed": 2, "validation_size": 0}
    assert retraining_recipe(parent, {"epochs": 5}) == {**parent, "epochs": 5, "validation_size": 0}
