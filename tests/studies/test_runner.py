"""The runner: skipping finished jobs, retries of infrastructure failures, user errors at once,
failures named, Ray as an extra, and Ray giving the same results."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.studies.fake_stages import FAKE_STAGES, model_stage
from tests.system_deps import require_executable
from thesislab.errors import ThesislabError
from thesislab.store import Store
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.jobs import BenchParams
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute, status
from thesislab.studies.spec import parse_study

REPO = Path(__file__).resolve().parents[2]
STUDY: dict[str, object] = {
    "name": "runner",
    "defaults": {
        "seeds": [1, 2],
        "stages": {
            "train": {},
            "prune": [{"method": "uniform", "targets": [{"channels": 0.5}, {"channels": 0.25}]}],
            "convert": {"quantization": ["fp32", "int8"]},
            "bench": {"devices": ["local", "pi"]},
        },
    },
    "architectures": ["res_d10_w16", "res_d16_w16"],
}


def run_locally(results: Path, stages=FAKE_STAGES, workers: int = 2, attempts: int = 1):
    jobs = plan(parse_study(STUDY))
    executor = LocalExecutor(stages, results, workers=workers, attempts=attempts)
    return jobs, execute(jobs, Ledger(Store(results)), executor, parallel=workers)


def snapshot(results: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(results)): path.read_bytes()
        for path in sorted(results.rglob("*.json"))
    }


def test_second_run_does_nothing(tmp_path):
    jobs, results = run_locally(tmp_path)
    assert len(results) == len(jobs)
    assert status(jobs, Ledger(Store(tmp_path))).left == []
    before = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*.json")}
    calls = []

    def counting(job, inputs, results_dir):
        calls.append(job.key)
        return FAKE_STAGES[job.stage](job, inputs, results_dir)

    run_locally(tmp_path, stages=dict.fromkeys(FAKE_STAGES, counting))
    assert calls == []
    assert {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*.json")} == before


def test_plan_size_and_outputs(tmp_path):
    jobs, _ = run_locally(tmp_path)
    # Per architecture and seed: train, 2 x (prune, fine-tune, retrain) = 7 models, each
    # converted twice, then one bench job per device measuring the 14 artifacts.
    assert len(jobs) == 2 * 2 * (7 + 7 * 2 + 2)
    store = Store(tmp_path)
    assert len(store.load(["model"])) == 2 * 2 * 7
    assert len(store.load(["measurement"])) == 2 * 2 * 7 * 2 * 2


def test_lost_record_makes_its_job_run_again(tmp_path):
    jobs, _ = run_locally(tmp_path)
    victim = next(iter((tmp_path / "artifact").iterdir()))
    victim.unlink()
    left = status(jobs, Ledger(Store(tmp_path))).left
    assert [job.stage for job in left] == ["convert"]
    run_locally(tmp_path)
    assert victim.exists()


def test_failing_job_is_retried_then_reported_by_name(tmp_path):
    attempts: dict[str, int] = {}

    def flaky(job, inputs, results_dir):
        attempts[job.key] = attempts.get(job.key, 0) + 1
        if job.stage == "trained" and "res_d16" in job.label and attempts[job.key] < 3:
            raise RuntimeError("transient failure")
        return model_stage(job, inputs, results_dir)

    stages = {**FAKE_STAGES, "trained": flaky}
    run_locally(tmp_path / "ok", stages=stages, attempts=3)
    assert max(attempts.values()) == 3

    def broken(job, inputs, results_dir):
        if "res_d16_w16 seed 2" in job.label:
            raise RuntimeError("out of memory")
        return model_stage(job, inputs, results_dir)

    with pytest.raises(ThesislabError) as error:
        run_locally(tmp_path / "broken", stages={**FAKE_STAGES, "trained": broken}, attempts=2)
    message = str(error.value)
    assert "train res_d16_w16 seed 2" in message and "out of memory" in message
    assert "after 2 attempts" in message
    # Jobs that finished before the failure stay finished.
    assert Ledger(Store(tmp_path / "broken")).directory.exists()


def test_user_error_fails_at_once_with_its_message(tmp_path):
    attempts: dict[str, int] = {}
    message = "expected a data source, received 'nowhere'"

    def misconfigured(job, inputs, results_dir):
        attempts[job.label] = attempts.get(job.label, 0) + 1
        if "res_d16_w16 seed 2" in job.label:
            raise ThesislabError(message)
        return model_stage(job, inputs, results_dir)

    with pytest.raises(ThesislabError) as error:
        run_locally(tmp_path, stages={**FAKE_STAGES, "trained": misconfigured}, attempts=3)
    assert str(error.value) == f"job 'train res_d16_w16 seed 2' failed: {message}"
    assert attempts["train res_d16_w16 seed 2"] == 1
    assert set(attempts.values()) == {1}


NO_RAY = """
import sys


class NoRay:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "ray":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoRay())
from thesislab.cli import main

main()
"""


def test_ray_executor_without_ray_names_the_extra(tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump(STUDY))
    completed = subprocess.run(
        [sys.executable, "-c", NO_RAY, "run", str(study), "--executor", "ray", "-r", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.splitlines() == [
        "error: executor ray: expected Ray installed, received ModuleNotFoundError (No module "
        "named 'ray'); install the extra: pip install 'thesislab[ray]'"
    ]
    assert not (tmp_path / "model").exists()


def test_one_device_measures_one_job_at_a_time(tmp_path):
    import threading

    active: dict[str, int] = {}
    peak: dict[str, int] = {}
    lock = threading.Lock()

    def bench(job, inputs, results_dir):
        device = job.params_of(BenchParams).device
        with lock:
            active[device] = active.get(device, 0) + 1
            peak[device] = max(peak.get(device, 0), active[device])
        time.sleep(0.01)
        with lock:
            active[device] -= 1
        return FAKE_STAGES["bench"](job, inputs, results_dir)

    run_locally(tmp_path, stages={**FAKE_STAGES, "bench": bench}, workers=4)
    assert peak == {"local": 1, "pi": 1}


@pytest.mark.ray
@pytest.mark.slow
def test_ray_cluster_gives_the_same_results_as_local(tmp_path):
    """A head and one worker node, in a private network namespace so that Ray's servers (which
    bind every interface) are reachable on the loopback interface only. Token authentication is
    off: the cluster is private to the namespace, and a token left in ~/.ray must not matter."""
    require_executable("unshare", "util-linux")
    require_executable("ip", "iproute2")
    local_dir, ray_dir = tmp_path / "local", tmp_path / "ray"
    run_locally(local_dir)
    script = Path(__file__).with_name("ray_cluster_run.py")
    completed = subprocess.run(
        [
            "unshare",
            "--net",
            "--map-root-user",
            "sh",
            "-c",
            f'ip link set lo up && exec "{sys.executable}" "{script}" "{ray_dir}"',
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "RAY_AUTH_MODE": "disabled"},
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-3000:]
    assert "nodes: 2" in completed.stdout
    assert snapshot(ray_dir) == snapshot(local_dir)
