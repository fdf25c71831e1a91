"""`thesislab train`: train a network, or resume its interrupted run, into a results directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thesislab.store import DEFAULT_RESULTS
from thesislab.train.recipe import KD_LAMBDA, TEMPERATURE


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
    epochs: Annotated[int | None, typer.Option(help="Epochs (thesis: 200).")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size (thesis: 128).")] = None,
    learning_rate: Annotated[
        float | None, typer.Option(help="Peak learning rate at --base-batch-size (thesis: 0.1).")
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
    kd_temperature: Annotated[
        float | None,
        typer.Option(help=f"Distillation: temperature (thesis: {TEMPERATURE:g})."),
    ] = None,
) -> None:
    """Train SPEC_OR_NAME on a data source and store its model record and weights.

    Defaults are the 2019 thesis's recipe. Run the same command again after an interruption to
    continue from the last finished epoch; once the record exists it only reports its id.

    Example: thesislab train res-16-2 --data ../shared/data/cifar10-jpeg.tar.xz --epochs 30
    """
    from thesislab.data import load_data
    from thesislab.models.names import read_spec
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    architecture, given_name = read_spec(spec_or_name)
    chosen = load_recipe(
        recipe,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        base_batch_size=base_batch_size,
        warmup_epochs=warmup_epochs,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        dropout=dropout,
        precision=precision,
        seed=seed,
        validation_size=validation_size,
        distillation={"teacher_id": teacher, "kd_lambda": kd_lambda, "temperature": kd_temperature},
    )
    result = train_model(architecture, chosen, load_data(data), results, name=name or given_name)
    record = result.record
    status = "trained" if result.trained else "already trained"
    accuracy = f"test accuracy {record.accuracy:.4f}" if record.accuracy is not None else ""
    typer.echo(
        f"{status}: model record {result.record_id} ({record.name}, {accuracy}) in {results}"
    )
