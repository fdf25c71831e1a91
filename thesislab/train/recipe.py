"""Loading a training recipe (`training_recipe.Recipe`: its fields and defaults).

The thesis's own recipes are named presets (`presets`): `thesis2019` is the Keras recipe of its
architecture study. A recipe is saved in every model record, and with the architecture and the
data fingerprint it decides the run key under which an interrupted run resumes.

Start from a preset or the defaults, then override fields from a YAML file, then from
command-line options::

    preset: thesis2019        # optional
    epochs: 30
    batch_size: 512
    learning_rate: 0.1        # at base_batch_size; scaled linearly to batch_size
    warmup_epochs: 5
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thesislab.errors import ThesislabError
from thesislab.presets import merged, overridden, preset_named
from thesislab.training_recipe import Recipe

FINE_TUNING: dict[str, Any] = {
    "epochs": 20,
    "learning_rate": 8e-4,
    "schedule": "constant",
    "weight_decay": 5e-4,
}
"""What fine-tuning changes in the default recipe: the thesis's 20 epochs at a constant 8e-4,
weight decay 5e-4 (the training of pruning searches takes the same rate and decay)."""


def load_recipe(path: Path | None = None, **overrides: Any) -> Recipe:
    """The default recipe, or the preset named by a `preset` key (of `overrides`, else of the
    file), updated from a YAML file, then from the `overrides` that are not None
    (`presets.overridden`: ``distillation={"temperature": 4}`` keeps the file's teacher)."""
    import yaml

    from thesislab.train.presets import PRESETS

    values: dict[str, Any] = {}
    origin = "recipe options"
    if path is not None:
        origin = str(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            reason = str(error).splitlines()[0]
            raise ThesislabError(f"{path}: expected a readable YAML recipe ({reason})") from None
        if not isinstance(loaded, dict):
            raise ThesislabError(
                f"{path}: expected a mapping of recipe fields, found {type(loaded).__name__}"
            )
        values.update(loaded)
    overrides = dict(overrides)
    file_preset = values.pop("preset", None)
    preset = overrides.pop("preset", None) or file_preset
    try:
        base = Recipe() if preset is None else preset_named(PRESETS, str(preset), "recipe")
        return overridden(base, merged(values, overrides), "recipe")
    except ThesislabError as error:
        raise ThesislabError(f"{origin}: {error}") from None


def retraining_recipe(
    parent: dict[str, Any], overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The recipe of retraining a pruned network: the recipe (and seed) that trained its parent,
    on every training image (the thesis held images out for its pruning searches only), updated
    by `overrides`; where they name a preset, that preset replaces the parent's recipe, its seed
    kept (the thesis retrained MorphNet's networks with `thesis2019-pytorch`)."""
    given = dict(overrides or {})
    base = parent
    if given.get("preset"):
        base = {key: value for key, value in parent.items() if key == "seed"}
    return {**base, "validation_size": 0, **given}


def fine_tuning_recipe(overrides: dict[str, Any] | None = None) -> Recipe:
    """The recipe of fine-tuning: `FINE_TUNING` updated by `overrides` (any recipe fields), or,
    where they name a preset (the thesis's PyTorch fine-tuning: `thesis2019-fine-tuning`), that
    preset updated by the rest; in float32, the precision of the weights it trains on."""
    given = dict(overrides or {})
    base = {} if given.get("preset") else FINE_TUNING
    return load_recipe(None, **{**base, **given, "precision": "float32"})
