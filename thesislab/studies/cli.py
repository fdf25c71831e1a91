"""`thesislab run`: plan a study, show what is done and left, and run the rest."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from thesislab.errors import ThesislabError

if TYPE_CHECKING:
    from thesislab.studies.runner import PlanStatus
    from thesislab.studies.spec import Study

INTERRUPTED_EXIT_CODE = 130
"""The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it."""


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
    from thesislab.studies.stages import STAGE_FUNCTIONS, estimate_seconds

    study = _checked_study(study_file, data)
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
    try:
        with progress_bar(len(all_jobs)) as update:
            execute(all_jobs, ledger, chosen, parallel=jobs, progress=update)
    except KeyboardInterrupt:
        _stop_interrupted(status(all_jobs, ledger), len(all_jobs), results_dir)
    typer.echo(f"{len(all_jobs)} jobs done; records in {results_dir}")
    if site:
        from thesislab.site import worker
        from thesislab.site.build import build_site, built_message

        try:
            built = build_site(added_results=[results_dir])
        finally:
            worker.stop()
        typer.echo(built_message(built))


def _checked_study(study_file: Path, data: str | None) -> Study:
    """The study, checked whole against this machine; with several problems, each is printed on
    a line of its own before the error that nothing was run."""
    from thesislab.bench.devices import Inventory
    from thesislab.studies.check import Machine, StudyError, load_study

    try:
        return load_study(study_file, Machine(Inventory.load()), data=data)
    except StudyError as error:
        if len(error.problems) == 1:
            raise
        for problem in error.problems:
            typer.echo(problem, err=True)
        raise ThesislabError(
            f"{study_file}: {len(error.problems)} problems, each on a line above; nothing was run"
        ) from None


def _stop_interrupted(plan_status: PlanStatus, total: int, results_dir: Path) -> NoReturn:
    """Say what finished and how to resume, then end the process at once: a job's thread cannot
    be stopped, and the locks of the jobs it was running end with the process."""
    typer.echo(
        f"interrupted: {len(plan_status.done)} of {total} jobs done, their records in "
        f"{results_dir}; the same command resumes the {len(plan_status.left)} left",
        err=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_EXIT_CODE)
