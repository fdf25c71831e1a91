"""What the runner shows: the plan of a dry run, and a progress bar of jobs done, running, left
and held by another run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as ProgressBar
from rich.table import Table

from thesislab.studies.jobs import Job
from thesislab.studies.runner import PlanStatus, Progress, ProgressCallback


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def print_plan(jobs: list[Job], plan_status: PlanStatus, estimate: Callable[[Job], float]) -> None:
    """Print every job with its state and estimated cost, then the totals."""
    table = Table("job", "stage", "state", "estimate")
    left_keys = {job.key for job in plan_status.left}
    for job in jobs:
        state = "left" if job.key in left_keys else "done"
        cost = _duration(estimate(job)) if state == "left" else ""
        table.add_row(job.label, job.stage, state, cost)
    console = Console()
    console.print(table)
    per_stage = Counter(job.stage for job in plan_status.left)
    compute = sum(estimate(job) for job in plan_status.left)
    summary = ", ".join(f"{count} {stage}" for stage, count in sorted(per_stage.items()))
    console.print(
        f"{len(jobs)} jobs: {len(plan_status.done)} done, {len(plan_status.left)} left"
        + (f" ({summary})" if summary else ""),
        markup=False,
    )
    console.print(f"estimated compute left on this machine: {_duration(compute)}", markup=False)


@contextmanager
def progress_bar(total: int) -> Iterator[ProgressCallback]:
    """A Rich progress bar of the jobs, naming the other runs this one waits for."""
    columns = (
        TextColumn("jobs"),
        BarColumn(),
        TextColumn(
            "{task.completed}/{task.total} done, {task.fields[running]} running, "
            "{task.fields[left]} left{task.fields[waiting]}"
        ),
        TimeElapsedColumn(),
    )
    with ProgressBar(*columns) as bar:
        task = bar.add_task("jobs", total=total, running=0, left=total, waiting="")

        def update(progress: Progress) -> None:
            waiting = f"; waiting for {', '.join(progress.held_by)}" if progress.held_by else ""
            bar.update(
                task,
                completed=progress.done,
                running=progress.running,
                left=progress.left,
                waiting=waiting,
            )

        yield update
