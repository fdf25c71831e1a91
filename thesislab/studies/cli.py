"""`thesislab run`: plan a study, show what is done and left, and run the rest."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class ExecutorName(StrEnum):
    """Where the jobs run."""

    local = "local"
    ray = "ray"


def run(
    study_file: Annotated[
        Path, typer.Argument(help="A study spec, e.g. experiments/quickstart.yaml.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and the compute left; run nothing.")
    ] = False,
    executor: Annotated[
        ExecutorName, typer.Option("--executor", "-e", help="local (this process) or ray.")
    ] = ExecutorName.local,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Jobs running at once.")] = 1,
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster address (host:port); default: start a local one."),
    ] = None,
    attempts: Annotated[
        int,
        typer.Option(
            min=1,
            help="Attempts per job failing on the infrastructure before the run stops with its "
            "error (a user error stops it at once).",
        ),
    ] = 2,
    gpus: Annotated[
        float, typer.Option(min=0.0, help="GPUs per training job on Ray (0 = CPU).")
    ] = 0.0,
    results: Annotated[
        Path | None, typer.Option("--results", "-r", help="Default: experiments/<study name>.")
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(help="Data source instead of the study's (e.g. a path to a CIFAR-10 copy)."),
    ] = None,
    site: Annotated[
        bool,
        typer.Option(
            "--site",
            help="Rebuild the results site after the run, from the folders mkdocs.yml names "
            "and the run's results directory.",
        ),
    ] = False,
) -> None:
    """Run a study: every job not already done, in dependency order; a killed run restarted
    resumes where it stopped.

    Example: thesislab run experiments/quickstart.yaml --dry-run
    """
    from thesislab.store import Store
    from thesislab.studies.executors import Executor, LocalExecutor, RayExecutor
    from thesislab.studies.ledger import Ledger
    from thesislab.studies.plan import plan
    from thesislab.studies.report import print_plan, progress_bar
    from thesislab.studies.runner import execute, status
    from thesislab.studies.spec import load_study
    from thesislab.studies.stages import STAGE_FUNCTIONS, estimate_seconds

    study = load_study(study_file)
    if data is not None:
        study = study.model_copy(update={"data": data})
    results_dir = results or study.results_dir()
    all_jobs = plan(study)
    ledger = Ledger(Store(results_dir))
    if dry_run:
        print_plan(all_jobs, status(all_jobs, ledger), estimate_seconds)
        return
    chosen: Executor
    if executor is ExecutorName.ray:
        chosen = RayExecutor(
            STAGE_FUNCTIONS,
            results_dir,
            address=address,
            attempts=attempts,
            gpus_per_training=gpus,
        )
    else:
        chosen = LocalExecutor(STAGE_FUNCTIONS, results_dir, workers=jobs, attempts=attempts)
    with progress_bar(len(all_jobs)) as update:
        execute(all_jobs, ledger, chosen, parallel=jobs, progress=update)
    typer.echo(f"{len(all_jobs)} jobs done; records in {results_dir}")
    if site:
        from thesislab.site.build import build_site, built_message

        typer.echo(built_message(build_site(added_results=[results_dir])))
