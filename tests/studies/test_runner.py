"""The runner: skipping finished jobs, retries of infrastructure failures, user errors at once,
failures named, runs of one study sharing its jobs through their locks, Ctrl-C, Ray as an extra,
and Ray giving the same results."""

from __future__ import annotations

import os
import signal
import socket
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
from thesislab.studies.check import parse_study
from thesislab.studies.executors import LocalExecutor
from thesislab.studies.jobs import BenchParams
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute, status

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


def test_ray_executor_without_ray_names_the_extra(tmp_path, inventory):
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


FAKE_RUN = Path(__file__).with_name("fake_run.py")


def fake_run(*args: str, **env: str) -> subprocess.Popen[str]:
    """`thesislab ARGS` as a process of its own, with the fake stages (see `fake_run.py`)."""
    return subprocess.Popen(
        [sys.executable, str(FAKE_RUN), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        start_new_session=True,
    )


def study_file(tmp_path: Path) -> Path:
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(STUDY))
    return path


def test_two_runs_at_once_run_each_job_once(tmp_path, inventory):
    results, start, calls = tmp_path / "results", tmp_path / "start", tmp_path / "calls"
    start.mkdir()
    env = {"FAKE_START_DIR": str(start), "FAKE_CALLS": str(calls), "FAKE_STAGE_S": "0.05"}
    runs = [fake_run("run", str(study_file(tmp_path)), "-r", str(results), "-j", "2", **env)]
    runs.append(fake_run("run", str(study_file(tmp_path)), "-r", str(results), "-j", "2", **env))
    deadline = time.monotonic() + 120
    while len(list(start.iterdir())) < 2:
        assert all(run.poll() is None for run in runs), runs[0].communicate()[1][-2000:]
        assert time.monotonic() < deadline, "the runs did not start"
        time.sleep(0.05)
    (start / "go").touch()
    for run in runs:
        _, errors = run.communicate(timeout=300)
        assert run.returncode == 0, errors[-3000:]
    started = [line.split() for line in calls.read_text().splitlines()]
    keys = [key for key, _ in started]
    jobs = plan(parse_study(STUDY))
    assert sorted(keys) == sorted(job.key for job in jobs)  # every job once, in one run or other
    assert {pid for _, pid in started} == {str(run.pid) for run in runs}  # both ran jobs
    run_locally(tmp_path / "alone")
    assert snapshot(results) == snapshot(tmp_path / "alone")
    assert list(Store(results).locks_dir().iterdir()) == []


HOLD_LOCK = """
import sys, time
from pathlib import Path
from thesislab.store import Store
from thesislab.studies.locks import Locks

lock = Locks(Store(Path(sys.argv[1]))).take(sys.argv[2])
print(type(lock).__name__, flush=True)
time.sleep(600)
"""


def test_a_run_waits_for_a_job_another_holds_and_takes_over_a_killed_ones_lock(tmp_path):
    """A process holds the lock of the first training job: the run does what does not need it,
    names the holder while it waits, and once the holder is killed (-9) takes its lock over."""
    import threading

    from thesislab.studies.runner import Progress

    jobs = plan(parse_study(STUDY))
    first = jobs[0]
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(tmp_path), first.key],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "Lock\n"
        seen: list[Progress] = []
        executor = LocalExecutor(FAKE_STAGES, tmp_path, workers=2)
        run = threading.Thread(
            target=execute, args=(jobs, Ledger(Store(tmp_path)), executor, 2, seen.append)
        )
        run.start()
        deadline = time.monotonic() + 60
        while not any(progress.held_by and progress.running == 0 for progress in seen):
            assert run.is_alive() and time.monotonic() < deadline, "the run did not wait"
            time.sleep(0.05)
        [waiting] = {progress.held_by for progress in seen if progress.held_by}
        assert waiting[0].startswith(f"the run of process {holder.pid} on {socket.gethostname()}")
        assert status(jobs, Ledger(Store(tmp_path))).left[0] == first
    finally:
        holder.kill()
        holder.wait()
    run.join(timeout=60)
    assert not run.is_alive()
    assert status(jobs, Ledger(Store(tmp_path))).left == []
    assert list(Store(tmp_path).locks_dir().iterdir()) == []


def test_ctrl_c_says_what_finished_and_that_the_same_command_resumes(tmp_path, inventory):
    results, calls = tmp_path / "results", tmp_path / "calls"
    command = ("run", str(study_file(tmp_path)), "-r", str(results))
    first = fake_run(*command, FAKE_CALLS=str(calls), FAKE_STAGE_S="0.5")
    deadline = time.monotonic() + 120
    while len(list(Store(results).ledger_dir().glob("*.json"))) < 3:
        assert first.poll() is None, first.communicate()[1][-2000:]
        assert time.monotonic() < deadline, "no job finished in time"
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    interrupted = time.monotonic()
    _, errors = first.communicate(timeout=30)
    assert time.monotonic() - interrupted < 5
    assert first.returncode == 130
    total = len(plan(parse_study(STUDY)))
    done = len(list(Store(results).ledger_dir().glob("*.json")))
    assert errors.splitlines()[-1] == (
        f"interrupted: {done} of {total} jobs done, their records in {results}; "
        f"the same command resumes the {total - done} left"
    )
    second = fake_run(*command)
    output, errors = second.communicate(timeout=120)
    assert second.returncode == 0, errors[-2000:]
    assert output.splitlines()[-1] == f"{total} jobs done; records in {results}"
    assert len(list(Store(results).ledger_dir().glob("*.json"))) == total
