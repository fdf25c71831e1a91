"""`thesislab train`: train a network, or resume its interrupted run, into a results directory;
`thesislab recipes`: the thesis's recipe presets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from thesislab.store import DEFAULT_RESULTS
from thesislab.training_recipe import KD_LAMBDA, TEMPERATURE, Recipe

_DEFAULTS = Recipe()
"""The default recipe, whose values the options' help gives."""


def train(
    spec_or_name: Annotated[
        str,
        typer.Argument(
            help="Thesis-style name (res-16-2, mobilenetv2_d12_er6_w24), JSON spec file or "
            "inline JSON spec.",
            show_default=False,
        ),
    ],
    recipe: Annotated[
        Path | None, typer.Option(help="YAML file of recipe fields; options below override it.")
    ] = None,
    recipe_preset: Annotated[
        str | None,
        typer.Option(help="Recipe preset to start from (see `thesislab recipes list`)."),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            help="Data source (see `thesislab data`); default: $THESISLAB_DATA or sample."
        ),
    ] = None,
    results: Annotated[
        Path, typer.Option("--results", "-r", help="Results directory to write the record to.")
    ] = DEFAULT_RESULTS,
    name: Annotated[str | None, typer.Option(help="Record name; default: the given name.")] = None,
    epochs: Annotated[
        int | None, typer.Option(help=f"Epochs (default: {_DEFAULTS.epochs}).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help=f"Batch size (default: {_DEFAULTS.batch_size}).")
    ] = None,
    learning_rate: Annotated[
        float | None,
        typer.Option(
            help=f"Peak learning rate at --base-batch-size (default: {_DEFAULTS.learning_rate:g})."
        ),
    ] = None,
    base_batch_size: Annotated[
        int | None, typer.Option(help="Batch size the learning rate is given for (linear scaling).")
    ] = None,
    warmup_epochs: Annotated[float | None, typer.Option(help="Linear warm-up epochs.")] = None,
    weight_decay: Annotated[float | None, typer.Option(help="L2 weight decay of kernels.")] = None,
    label_smoothing: Annotated[float | None, typer.Option(help="Label smoothing.")] = None,
    dropout: Annotated[
        float | None, typer.Option(help="Dropout rate; overrides the architecture's.")
    ] = None,
    precision: Annotated[
        str | None, typer.Option(help="auto (bfloat16 on a GPU), float32 or bfloat16.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (initialisation, batches).")] = None,
    validation_size: Annotated[
        int | None, typer.Option(help="Training images held out for validation (thesis: 5000).")
    ] = None,
    teacher: Annotated[
        str | None, typer.Option(help="Model record id of a teacher: train by distillation.")
    ] = None,
    kd_lambda: Annotated[
        float | None,
        typer.Option(help=f"Distillation: weight of the label loss (thesis: {KD_LAMBDA})."),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(
            "--kd-temperature", help=f"Distillation: temperature (thesis: {TEMPERATURE:g})."
        ),
    ] = None,
) -> None:
    """Train SPEC_OR_NAME on a data source and store its model record and weights.

    Defaults are thesislab's recipe; --recipe-preset thesis2019 is the thesis's. Run the same
    command again after an interruption to continue from the last finished epoch; once the record
    exists it only reports its id.

    Example: thesislab train res-16-2 --data ../shared/data/cifar10-jpeg.tar.xz --epochs 30
    """
    from thesislab.data import load_data
    from thesislab.models.names import read_spec
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    architecture, given_name = read_spec(spec_or_name)
    if dropout is not None:
        architecture = architecture.model_copy(
            update={"params": {**architecture.params, "dropout": dropout}}
        )
    chosen = load_recipe(
        recipe,
        preset=recipe_preset,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        base_batch_size=base_batch_size,
        warmup_epochs=warmup_epochs,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        precision=precision,
        seed=seed,
        validation_size=validation_size,
        distillation={"teacher_id": teacher, "kd_lambda": kd_lambda, "temperature": temperature},
    )
    result = train_model(architecture, chosen, load_data(data), results, name=name or given_name)
    record = result.record
    status = "trained" if result.trained else "already trained"
    accuracy = f"test accuracy {record.accuracy:.4f}" if record.accuracy is not None else ""
    typer.echo(
        f"{status}: model record {result.record_id} ({record.name}, {accuracy}) in {results}"
    )


recipes_app = typer.Typer(
    help="Training recipe presets.\n\nExample: thesislab recipes show thesis2019",
    no_args_is_help=True,
)


@recipes_app.command("list")
def list_recipes(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the recipe presets, one column each, with the fields they set.

    Example: thesislab recipes list --json
    """
    from thesislab.train.presets import PRESETS

    recipes = dict(sorted(PRESETS.items()))
    if as_json:
        typer.echo(json.dumps({name: r.model_dump(mode="json") for name, r in recipes.items()}))
        return
    from thesislab.preset_tables import print_side_by_side

    set_by_some = set().union(*(preset.model_fields_set for preset in PRESETS.values()))
    fields = [key for key in Recipe.model_fields if key in set_by_some and key != "name"]
    print_side_by_side("recipe presets (the fields they set)", recipes, fields)


@recipes_app.command("show")
def show_recipe(
    name: Annotated[str, typer.Argument(help="Preset name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show one recipe preset, field by field ('-': not set).

    Example: thesislab recipes show thesis2019
    """
    from thesislab.preset_tables import print_fields
    from thesislab.train.recipe import load_recipe

    chosen = load_recipe(preset=name)
    if as_json:
        typer.echo(json.dumps(chosen.model_dump(mode="json")))
        return
    print_fields(chosen)
