"""`thesislab site`: build the results site (its charts as figures: `thesislab.figures.cli`).

Heavy imports (pandas, Altair, MkDocs) happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from thesislab.options import results_directories

site_app = typer.Typer(
    help="Build the results site (MkDocs Material, charts generated from the records).\n\n"
    "Example: thesislab site build --out site",
    no_args_is_help=True,
)


@site_app.callback()
def _site() -> None:
    """Keeps `build` a subcommand (Typer runs a lone command directly otherwise)."""


@site_app.command("build")
def site_build(
    results: Annotated[
        list[Path] | None,
        typer.Option(
            "--results",
            "-r",
            help="Results directory (repeatable); a directory of results directories also works. "
            "Default: the plugin's 'results' in mkdocs.yml.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output folder; default: site_dir.")
    ] = None,
    config_file: Annotated[
        Path, typer.Option("--config-file", "-f", help="MkDocs configuration.")
    ] = Path("mkdocs.yml"),
    strict: Annotated[
        bool,
        typer.Option(
            help="Fail on any warning (a record file left out, a broken link); without it, "
            "each is a warning and the site is built."
        ),
    ] = False,
    site_url: Annotated[
        str | None,
        typer.Option(
            "--site-url",
            help="Address the site will be served at (instant page loads need it); "
            "default: site_url in mkdocs.yml.",
        ),
    ] = None,
) -> None:
    """Build the site exactly as `mkdocs build` does, optionally from other results.

    The site works offline and opened from disk (file://): nothing is loaded from elsewhere.
    It is built beside the output folder and replaces it once whole: a failed build leaves
    the previous site as it was.

    Example: thesislab site build --results experiments --out site
    """
    from thesislab.site import worker
    from thesislab.site.build import build_site, built_message

    directories = results_directories(results) if results else None
    try:
        built = build_site(directories, out, config_file, strict=strict, site_url=site_url)
    finally:
        worker.stop()
    typer.echo(built_message(built))
