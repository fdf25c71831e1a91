"""`thesislab convert`: a trained model to TFLite artifacts, each evaluated and recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thesislab.deploy.artifacts import DEFAULT_REPRESENTATIVE_SIZE
from thesislab.deploy.convert import IoDtype

DEFAULT_QUANTIZATIONS = "fp32,fp16,dynamic,int8"


def convert(
    model_id: Annotated[str, typer.Argument(help="Model record id (or a unique prefix).")],
    results: Annotated[
        Path, typer.Option("--results", "-r", help="Results directory holding the model record.")
    ],
    quantization: Annotated[
        str,
        typer.Option(
            "--quantization", "-q", help="Comma-separated variants: fp32, fp16, dynamic, int8."
        ),
    ] = DEFAULT_QUANTIZATIONS,
    int8_io: Annotated[
        IoDtype,
        typer.Option("--int8-io", help="Input/output tensor type of the full int8 variant."),
    ] = "int8",
    representative_size: Annotated[
        int,
        typer.Option(
            "--representative-size",
            min=1,
            help="Training images drawn at random to calibrate full int8.",
        ),
    ] = DEFAULT_REPRESENTATIVE_SIZE,
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="Data source the model was trained on (see 'thesislab data'); "
            "default: $THESISLAB_DATA or the bundled sample.",
        ),
    ] = None,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate/--no-evaluate", help="Record each artifact's accuracy on the test set."
        ),
    ] = True,
) -> None:
    """Convert MODEL_ID to TFLite files, evaluate each on the whole test set with LiteRT, and
    write one artifact record per variant.

    Runs under Keras's TensorFlow backend, whatever backend trained the model.

    Example: thesislab convert 3f2a9c -q fp32,int8 --int8-io uint8 --results experiments/wrn
    """
    from rich.console import Console
    from rich.table import Table

    from thesislab.deploy.artifacts import deploy_data, make_artifacts
    from thesislab.deploy.convert import parse_variants
    from thesislab.store import Store

    console = Console(stderr=True)
    variants = parse_variants(quantization, int8_io)
    calibrates = any(variant.quantization == "int8" for variant in variants)
    store = Store(results)
    inputs = deploy_data(
        store,
        model_id,
        source=data,
        representative_size=representative_size if calibrates else 0,
        evaluate_test=evaluate,
    )
    with console.status("converting") as status:
        made = make_artifacts(
            store,
            model_id,
            variants,
            inputs,
            on_variant=lambda variant: status.update(f"converting to {variant.label}"),
        )
    table = Table("artifact", "quantization", "io", "size (KB)", "accuracy")
    for identifier, record in made:
        table.add_row(
            identifier,
            record.quantization,
            record.io_dtype,
            f"{(record.size_bytes or 0) / 1024:,.1f}",
            "-" if record.accuracy is None else f"{record.accuracy:.2%}",
        )
    Console().print(table)
