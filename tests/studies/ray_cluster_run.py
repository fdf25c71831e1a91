"""Run the runner test's study on a fresh two-node Ray cluster (a head and one worker node, each
a `ray start --block` process started here and ended here by PID). Usage: ray_cluster_run.py DIR.

The worker node starts as soon as the head's port accepts connections, and the nodes are counted
through a driver connection of this process, which it closes before the executor opens its own.

Meant to run inside a private network namespace (see the test), so nothing listens beyond
loopback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ray
from ray import cloudpickle

import tests.studies.fake_stages as fake_stages
from tests.ports import wait_for_port
from tests.studies.test_runner import STUDY
from thesislab.store import Store
from thesislab.studies.check import parse_study
from thesislab.studies.executors import RayExecutor
from thesislab.studies.ledger import Ledger
from thesislab.studies.plan import plan
from thesislab.studies.runner import execute

PORT = 6379
ADDRESS = f"127.0.0.1:{PORT}"
RAY = Path(sys.executable).with_name("ray")
NODE = [
    "--block",
    "--disable-usage-stats",
    "--num-cpus=2",
    "--num-gpus=0",
    "--node-ip-address=127.0.0.1",
]


def nodes_alive() -> int:
    return sum(bool(node["Alive"]) for node in ray.nodes())


def wait_for(count: int, deadline: float) -> None:
    while nodes_alive() < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"expected {count} Ray nodes, found {nodes_alive()}")
        time.sleep(0.2)


def main(results: Path) -> None:
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        head = subprocess.Popen(
            [
                RAY,
                "start",
                "--head",
                f"--port={PORT}",
                "--include-dashboard=false",
                f"--temp-dir={temp_dir}",
                *NODE,
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        processes.append(head)
        deadline = time.monotonic() + 120
        wait_for_port(PORT, head, 120)  # then a worker node may join
        processes.append(
            subprocess.Popen(
                [RAY, "start", f"--address={ADDRESS}", *NODE],
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        ray.init(address=ADDRESS, log_to_driver=False)
        wait_for(2, deadline)
        print(f"nodes: {nodes_alive()}", flush=True)
        ray.shutdown()
        cloudpickle.register_pickle_by_value(fake_stages)
        executor = RayExecutor(fake_stages.FAKE_STAGES, results, address=ADDRESS, attempts=2)
        jobs = plan(parse_study(STUDY))
        execute(jobs, Ledger(Store(results)), executor, parallel=4)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
