"""Executors: where jobs run. `local` uses threads in this process; `ray` sends each job to a Ray
cluster as a task with its resource needs (a GPU for training where asked for).

Both run the same function, `run_job(stage_functions, job, inputs, results_dir)`, and both retry a
job that fails on the infrastructure (out of memory, a lost worker) a set number of times before
the scheduler reports it with the job's name; a user error (`ThesislabError`: bad input, a missing
file) fails at once, since running the job again cannot mend it.

Ray is an extra (`pip install 'thesislab[ray]'`); without it the `ray` executor says so.
"""

from __future__ import annotations

import concurrent.futures
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from thesislab.errors import ThesislabError
from thesislab.studies.jobs import TRAINING_STAGES, Job, JobStage
from thesislab.studies.ledger import JobResult

StageFunction = Callable[[Job, list[JobResult], Path], JobResult]


class JobFailedError(Exception):
    """A job failed: at once on a user error, else on every attempt; the message carries the
    (last) error."""


def run_job(
    stage_functions: Mapping[JobStage, StageFunction],
    job: Job,
    inputs: list[JobResult],
    results_dir: Path,
    attempts: int = 1,
) -> JobResult:
    """Run one job's stage function, trying up to `attempts` times in all unless it raises a
    `ThesislabError` (a user error, reported at once)."""
    error_text = ""
    for _ in range(attempts):
        try:
            return stage_functions[job.stage](job, inputs, results_dir)
        except ThesislabError as error:
            raise JobFailedError(str(error)) from None
        except Exception as error:
            error_text = f"{type(error).__name__}: {error}"
            last_trace = traceback.format_exc()
    raise JobFailedError(f"{error_text} (after {attempts} attempts)\n{last_trace}")


class Executor(Protocol):
    """Starts jobs and hands back futures of their results."""

    def submit(self, job: Job, inputs: list[JobResult]) -> concurrent.futures.Future[JobResult]:
        """Start `job`; the future holds its result or a `JobFailedError`."""
        ...

    def close(self, wait: bool = True) -> None:
        """Release the executor's workers. With `wait`, no job runs on afterwards (the local
        executor lets those running finish; Ray's end with the driver's connection); without
        it, the jobs not started are cancelled and those running are abandoned."""
        ...


class LocalExecutor:
    """Jobs on a pool of threads in this process."""

    def __init__(
        self,
        stage_functions: Mapping[JobStage, StageFunction],
        results_dir: Path,
        workers: int = 1,
        attempts: int = 1,
    ) -> None:
        self._stage_functions = stage_functions
        self._results_dir = results_dir
        self._attempts = attempts
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)

    def submit(self, job: Job, inputs: list[JobResult]) -> concurrent.futures.Future[JobResult]:
        return self._pool.submit(
            run_job, self._stage_functions, job, inputs, self._results_dir, self._attempts
        )

    def close(self, wait: bool = True) -> None:
        # A thread cannot be stopped: without `wait`, a job running goes on until this process
        # ends (the runner keeps its locks, so no other run starts it meanwhile).
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class RayExecutor:
    """Jobs as Ray tasks on the cluster at `address` (or a new local one when None).

    The results directory must be visible at the same path on every node (e.g. a shared
    mount): workers write their records there, as the local executor does.
    """

    def __init__(
        self,
        stage_functions: Mapping[JobStage, StageFunction],
        results_dir: Path,
        address: str | None = None,
        attempts: int = 1,
        gpus_per_training: float = 0.0,
    ) -> None:
        try:
            import ray
        except ImportError as error:
            reason = (str(error).splitlines() or [""])[0]
            raise ThesislabError(
                f"executor ray: expected Ray installed, received {type(error).__name__} "
                f"({reason}); install the extra: pip install 'thesislab[ray]'"
            ) from None
        if not ray.is_initialized():
            if address is None:
                ray.init(include_dashboard=False, log_to_driver=False)
            else:
                ray.init(address=address, log_to_driver=False)
        self._ray = ray
        self._remote: Any = ray.remote(run_job)  # Ray's stubs cannot type a 5-argument task
        self._stage_functions = ray.put(dict(stage_functions))
        self._results_dir = results_dir.resolve()
        self._attempts = attempts
        self._gpus_per_training = gpus_per_training

    def submit(self, job: Job, inputs: list[JobResult]) -> concurrent.futures.Future[JobResult]:
        training = job.stage in TRAINING_STAGES
        options = self._remote.options(
            num_cpus=1,
            num_gpus=self._gpus_per_training if training else 0,
            max_retries=0,
            name=job.label[:100],
        )
        reference = options.remote(
            self._stage_functions, job, inputs, self._results_dir, self._attempts
        )
        future: concurrent.futures.Future[JobResult] = reference.future()
        return future

    def close(self, wait: bool = True) -> None:
        # Ending the driver's connection ends its tasks, on a cluster started here or elsewhere.
        self._ray.shutdown()
