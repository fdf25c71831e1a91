"""The runner: skips jobs the ledger holds, runs the rest as their inputs become ready, and
records each finished job at once, so a killed run restarted resumes where it stopped.

Runs of one study on one results directory share its jobs: before a job starts, the runner takes
the job's lock (`locks`), and a bench job its device's too; it lets go of them after writing the
job's ledger entry. A job whose lock another run holds waits, and the runner looks again every
`WAIT_POLL_S`: the job is then found done in the ledger, or, where the other run stopped without
finishing it, run here. Two jobs never measure latency on one device at the same time, in one
run or in two.

A job that fails on every attempt stops the run with its name and its last error; the jobs
already finished stay finished. An interrupted run (Ctrl-C) stops at once: what has not started
is cancelled, and the jobs still running are abandoned with their locks, which this process holds
until it ends (the next run takes them over and finds what they finished).
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass

from thesislab.errors import ThesislabError
from thesislab.studies.executors import Executor, JobFailedError
from thesislab.studies.jobs import Job
from thesislab.studies.ledger import JobResult, Ledger
from thesislab.studies.locks import Holder, Lock, Locks

WAIT_POLL_S = 0.5
"""How often a run waiting for jobs that another run holds looks at their locks again."""


@dataclass(frozen=True)
class Progress:
    """Where a run stands: jobs done, running here, held by other runs, and left."""

    done: int
    running: int
    left: int
    held_by: tuple[str, ...] = ()
    """The other runs holding jobs this run waits for."""


ProgressCallback = Callable[[Progress], None]
"""Called whenever a job starts or ends, and while the run waits for another run."""


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


def lock_names(job: Job) -> list[str]:
    """The locks a job holds while it runs: its own, and its device's."""
    return [job.key] + ([f"device-{job.device}"] if job.device is not None else [])


def _release(locks: list[Lock]) -> None:
    for lock in locks:
        lock.release()


class _Execution:
    """The state of one run of a plan: results so far, jobs pending and running, the devices
    busy, and who holds the locks of jobs this run waits for."""

    def __init__(
        self,
        jobs: list[Job],
        ledger: Ledger,
        executor: Executor,
        parallel: int,
        progress: ProgressCallback | None,
    ) -> None:
        plan_status = status(jobs, ledger)
        self.results = dict(plan_status.done)
        self.pending = list(plan_status.left)
        self.running: dict[concurrent.futures.Future[JobResult], tuple[Job, list[Lock]]] = {}
        self.busy_devices: set[str] = set()
        self.held: dict[str, Holder] = {}
        self.ledger = ledger
        self.locks = Locks(ledger.store)
        self.executor = executor
        self.parallel = parallel
        self.progress = progress

    def report(self) -> None:
        if self.progress is not None:
            holders = tuple(sorted({str(holder) for holder in self.held.values()}))
            self.progress(
                Progress(len(self.results), len(self.running), len(self.pending), holders)
            )

    def start(self, job: Job) -> None:
        """Take the job's locks and start it, or note who holds them; a job another run
        finished meanwhile is done here too."""
        taken = self.locks.take_all(lock_names(job))
        if isinstance(taken, Holder):
            self.held[job.key] = taken
            return
        self.held.pop(job.key, None)
        self.pending.remove(job)
        finished_elsewhere = self.ledger.result(job.key)
        if finished_elsewhere is not None:
            _release(taken)
            self.results[job.key] = finished_elsewhere
            return
        if job.device is not None:
            self.busy_devices.add(job.device)
        inputs = [self.results[dep] for dep in job.deps]
        self.running[self.executor.submit(job, inputs)] = (job, taken)

    def finish(self, future: concurrent.futures.Future[JobResult]) -> None:
        """Record a finished job in the ledger and release its locks; a failed one stops the
        run with its error."""
        job, taken = self.running.pop(future)
        if job.device is not None:
            self.busy_devices.discard(job.device)
        try:
            result = future.result()
        except Exception as error:
            _release(taken)
            raise ThesislabError(_failure_message(job, error)) from None
        self.ledger.finish(job.key, job.label, result)
        _release(taken)
        self.results[job.key] = result

    def step(self) -> bool:
        """Start what can start, then wait for a job to finish (or, while other runs hold
        jobs, a moment); False once nothing is left."""
        for job in list(self.pending):
            if len(self.running) >= self.parallel:
                break
            if all(dep in self.results for dep in job.deps) and (
                job.device not in self.busy_devices
            ):
                self.start(job)
        if not self.running:
            if not self.pending:
                return False
            if not self.held:
                stuck = ", ".join(job.label for job in self.pending[:3])
                raise ThesislabError(f"jobs wait for inputs that no job produces: {stuck}")
            self.report()
            time.sleep(WAIT_POLL_S)
            return True
        self.report()
        finished, _ = concurrent.futures.wait(
            self.running,
            timeout=WAIT_POLL_S if self.held else None,
            return_when=concurrent.futures.FIRST_COMPLETED,
        )
        for future in finished:
            self.finish(future)
        self.report()
        return True

    def close(self, interrupted: bool) -> None:
        """Cancel what has not started and close the executor; after Ctrl-C the running jobs
        are abandoned (their locks go with the process)."""
        for future in self.running:
            future.cancel()
        self.executor.close(wait=not interrupted)
        if not interrupted:
            for _, taken in self.running.values():
                _release(taken)


def execute(
    jobs: list[Job],
    ledger: Ledger,
    executor: Executor,
    parallel: int = 1,
    progress: ProgressCallback | None = None,
) -> dict[str, JobResult]:
    """Run every job not yet done; return the results of all jobs, by key."""
    run = _Execution(jobs, ledger, executor, parallel, progress)
    interrupted = False
    run.report()
    try:
        while run.pending or run.running:
            if not run.step():
                break
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        run.close(interrupted)
    return run.results
