"""Runner benchmark: planning time of a 10,000-job study, and the Ray executor's overhead per
job against local execution, for 200 trivial jobs.

    .venv/bin/python benchmarks/runner.py
"""

from __future__ import annotations

import itertools
import tempfile
import time
from pathlib import Path

from thesislab.models.spec import ArchSpec
from thesislab.store import Store
from thesislab.studies.check import parse_study
from thesislab.studies.executors import LocalExecutor, RayExecutor
from thesislab.studies.jobs import Job, UntrainedParams
from thesislab.studies.ledger import JobResult, Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute


def big_study() -> dict[str, object]:
    """72 architectures x 28 seeds x (training, 2 conversions, 2 measurements) = 10,080 jobs."""
    names = [
        f"mobilenetv2_d{depth}_er{expansion}_w{width}"
        for depth, expansion, width in itertools.product(
            (6, 9, 12), (2, 4, 6), (8, 16, 24, 32, 40, 48, 56, 64)
        )
    ]
    return {
        "name": "big",
        "defaults": {
            "seeds": list(range(28)),
            "stages": {
                "train": {},
                "convert": {"quantization": ["fp32", "int8"]},
                "bench": {"devices": ["local", "pi"]},
            },
        },
        "architectures": names,
    }


def trivial(job: Job, inputs: list[JobResult], results_dir: Path) -> JobResult:
    return JobResult()


def trivial_jobs(count: int) -> list[Job]:
    arch = ArchSpec(family="wideresnet", params={"depth": 10, "width": 16})
    return [
        Job.of(f"job {index}", UntrainedParams(name=f"job {index}", arch=arch, seed=index))
        for index in range(count)
    ]


def time_executor(name: str, count: int) -> tuple[float, float]:
    """(seconds to start the executor, seconds to run `count` trivial jobs on it)."""
    with tempfile.TemporaryDirectory() as directory:
        results = Path(directory)
        stages = {"untrained": trivial}
        start = time.perf_counter()
        executor = RayExecutor(stages, results) if name == "ray" else LocalExecutor(stages, results)
        started = time.perf_counter()
        execute(trivial_jobs(count), Ledger(Store(results)), executor, parallel=1)
        return started - start, time.perf_counter() - started


def main() -> None:
    data = big_study()
    start = time.perf_counter()
    study = parse_study(data)
    validated = time.perf_counter()
    jobs = plan(study)
    planned = time.perf_counter()
    print(
        f"study of {len(jobs)} jobs: validation {validated - start:.2f} s, "
        f"planning {planned - validated:.2f} s"
    )
    count = 200
    _, local = time_executor("local", count)
    ray_start, ray = time_executor("ray", count)
    print(
        f"{count} trivial jobs, one at a time: local {local:.2f} s "
        f"({local / count * 1000:.2f} ms/job); ray {ray:.2f} s ({ray / count * 1000:.1f} ms/job) "
        f"after {ray_start:.1f} s to start a local Ray cluster"
    )
    print(f"ray overhead per job: {(ray - local) / count * 1000:.1f} ms")


if __name__ == "__main__":
    main()
