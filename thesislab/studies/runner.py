"""The runner: skips jobs the ledger holds, runs the rest as their inputs become ready, and
records each finished job at once, so a killed run restarted resumes where it stopped.

Two jobs never measure latency on one device at the same time: the scheduler holds a lock per
device. A job that fails on every attempt stops the run with its name and its last error; the
jobs already finished stay finished.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass

from thesislab.errors import ThesislabError
from thesislab.studies.executors import Executor, JobFailedError
from thesislab.studies.jobs import Job
from thesislab.studies.ledger import JobResult, Ledger

ProgressCallback = Callable[[int, int, int], None]
"""Called with (done, running, left) whenever a job starts or ends."""


@dataclass(frozen=True)
class PlanStatus:
    """Which jobs of a plan are done and which are left."""

    done: dict[str, JobResult]
    left: list[Job]


def status(jobs: list[Job], ledger: Ledger) -> PlanStatus:
    """Look every job up in the ledger."""
    done: dict[str, JobResult] = {}
    left: list[Job] = []
    for job in jobs:
        result = ledger.result(job.key)
        if result is None:
            left.append(job)
        else:
            done[job.key] = result
    return PlanStatus(done, left)


def _failure_message(job: Job, error: BaseException) -> str:
    cause = getattr(error, "cause", None) or error
    first_line = str(cause).strip().splitlines()[0] if str(cause).strip() else repr(cause)
    if not isinstance(cause, JobFailedError):
        first_line = f"{type(cause).__name__}: {first_line}"
    return f"job '{job.label}' failed: {first_line}"


def execute(
    jobs: list[Job],
    ledger: Ledger,
    executor: Executor,
    parallel: int = 1,
    progress: ProgressCallback | None = None,
) -> dict[str, JobResult]:
    """Run every job not yet done; return the results of all jobs, by key."""
    plan_status = status(jobs, ledger)
    results = dict(plan_status.done)
    pending = list(plan_status.left)
    running: dict[concurrent.futures.Future[JobResult], Job] = {}
    busy_devices: set[str] = set()

    def report() -> None:
        if progress is not None:
            progress(len(results), len(running), len(pending))

    report()
    try:
        while pending or running:
            for job in list(pending):
                if len(running) >= parallel:
                    break
                if any(dep not in results for dep in job.deps) or job.device in busy_devices:
                    continue
                pending.remove(job)
                if job.device is not None:
                    busy_devices.add(job.device)
                inputs = [results[dep] for dep in job.deps]
                running[executor.submit(job, inputs)] = job
            if not running:
                stuck = ", ".join(job.label for job in pending[:3])
                raise ThesislabError(f"jobs wait for inputs that no job produces: {stuck}")
            report()
            finished, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                job = running.pop(future)
                if job.device is not None:
                    busy_devices.discard(job.device)
                try:
                    result = future.result()
                except Exception as error:
                    raise ThesislabError(_failure_message(job, error)) from None
                ledger.finish(job.key, job.label, result)
                results[job.key] = result
            report()
    finally:
        for future in running:
            future.cancel()
        executor.close()
    return results
