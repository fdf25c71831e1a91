"""`thesislab data`: decode a data source into the cache and describe it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from thesislab.data.sources import load_data, resolve

app = typer.Typer(
    help="Data sources: decode them once into the cache, show what they hold.",
    no_args_is_help=True,
)

SourceArgument = Annotated[
    str | None,
    typer.Argument(
        help="'sample' (bundled, the default), 'keras', a CIFAR-10 batches directory or "
        "tar.gz, or an image folder (directory, .zip, .tar.*); default: $THESISLAB_DATA or sample.",
        show_default=False,
    ),
]


@app.command()
def prepare(source: SourceArgument = None) -> None:
    """Decode SOURCE once into the cache, so that training starts from its arrays.

    Example: thesislab data prepare ../shared/data/cifar10-jpeg.tar.xz
    """
    data = load_data(source)
    Console().print(
        f"{data.name}: {len(data.train)} train + {len(data.test)} test images, "
        f"fingerprint {data.fingerprint}, cached in {resolve(source).cache_path}"
    )


@app.command()
def info(source: SourceArgument = None) -> None:
    """Show SOURCE's classes and image counts, its fingerprint and where it is cached.

    Example: thesislab data info sample
    """
    data = load_data(source)
    table = Table(title=f"{data.name} ({data.source})")
    table.add_column("class")
    table.add_column("train", justify="right")
    table.add_column("test", justify="right")
    train_counts = data.train.class_counts(len(data.classes))
    test_counts = data.test.class_counts(len(data.classes))
    for name, train, test in zip(data.classes, train_counts, test_counts, strict=True):
        table.add_row(name, str(train), str(test))
    table.add_row("all", str(len(data.train)), str(len(data.test)), style="bold")
    console = Console()
    console.print(table)
    height, width, channels = data.image_shape
    console.print(f"images: {height}x{width}x{channels} uint8")
    console.print(f"fingerprint: {data.fingerprint}")
    console.print(f"cached in: {resolve(source).cache_path}")
