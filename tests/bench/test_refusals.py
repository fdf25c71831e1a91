"""A runtime that refuses a model: the line that says why, the other models measured anyway, and
every refusal listed by the `bench` command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from thesislab.bench.devices import DeviceSpec
from thesislab.bench.measure import bench
from thesislab.bench.protocol import PRESETS
from thesislab.bench.reasons import failure_reason
from thesislab.records import ArtifactRecord
from thesislab.store import Store

OP_ERROR = "ERROR: Didn't find op for builtin opcode 'SUB' version '2'. An older version of this"

REFUSING_BENCHMARK_MODEL = f"""#!/bin/sh
# Stands in for an old benchmark_model on an ARM board: it refuses models named *new-ops*, logs
# its parameters first, and the shell adds "Aborted" when the binary aborts.
case "$1" in
*new-ops*)
    echo "STARTING!"
    echo "Num runs: [5]"
    echo "Graph: [$1]"
    echo "{OP_ERROR}" >&2
    echo "Registration failed." >&2
    echo "Aborted" >&2
    exit 134;;
esac
echo "count=5 first=1000 curr=1000 min=1000 max=1000 avg=1000 std=1"
echo "Inference timings in us: Init: 10, First inference: 1000, Warmup (avg): 1000, \
Inference (avg): 1000"
"""


@pytest.mark.parametrize(
    ("stderr", "stdout", "expected"),
    [
        (f"{OP_ERROR}\nRegistration failed.\nAborted\n", "STARTING!\nGraph: [m]\n", OP_ERROR),
        ("Traceback (most recent call last):\nValueError: Model provided has model identifier "
         "'PK\\x03', should be 'TFL3'\n", "", "ValueError: Model provided has model identifier "
         "'PK\\x03', should be 'TFL3'"),
        ("Segmentation fault (core dumped)\n", "loaded model\nrunning\n", "running"),
        ("", "", "exit status 139 and no output"),
    ],
)  # fmt: skip
def test_the_reason_is_the_line_that_names_the_problem(stderr: str, stdout: str, expected: str):
    assert failure_reason(stderr, stdout, returncode=139) == expected


def _artifacts(store: Store, tiny_tflite: Path) -> dict[str, str]:
    ids = {}
    for name in ("fine", "new-ops"):
        relative = f"files/tflite/{name}.tflite"
        (store.root / relative).parent.mkdir(parents=True, exist_ok=True)
        (store.root / relative).write_bytes(tiny_tflite.read_bytes() + name.encode())
        ids[name] = store.write(ArtifactRecord(model_id=name, quantization="int8", path=relative))
    return ids


@pytest.fixture
def refusing_device(tmp_path: Path) -> DeviceSpec:
    binary = tmp_path / "benchmark_model"
    binary.write_text(REFUSING_BENCHMARK_MODEL)
    binary.chmod(0o755)
    return DeviceSpec(name="old-pi", runtime="benchmark_model", benchmark_model=str(binary))


def test_a_refused_artifact_fails_alone_with_the_runtimes_reason(
    tmp_path: Path, tiny_tflite: Path, refusing_device: DeviceSpec
):
    store = Store(tmp_path / "results")
    ids = _artifacts(store, tiny_tflite)
    protocol = PRESETS["quick"].model_copy(update={"passes": 2, "runs": 5})
    outcome = bench(store, list(ids.values()), refusing_device, protocol)
    [(_, measured)] = outcome.measurements
    assert measured.artifact_id == ids["fine"] and measured.latency.mean_ms == pytest.approx(1.0)
    [(refused, reason)] = outcome.failures.items()
    assert refused == ids["new-ops"]
    assert reason == f"benchmark_model on new-ops.tflite on old-pi failed: {OP_ERROR}"


def test_the_bench_command_lists_every_refusal_and_fails(
    tmp_path: Path, tiny_tflite: Path, refusing_device: DeviceSpec
):
    store = Store(tmp_path / "results")
    ids = _artifacts(store, tiny_tflite)
    inventory = tmp_path / "devices.yaml"
    inventory.write_text(
        f"devices:\n  old-pi:\n    runtime: benchmark_model\n"
        f"    benchmark_model: {refusing_device.benchmark_model}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", "from thesislab.cli import main; main()", "bench",
         *ids.values(), "-r", str(store.root), "-d", "old-pi", "--inventory", str(inventory),
         "--runs", "5"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    output = " ".join(done.stdout.split())  # rich wraps long lines
    assert f"failed: artifact {ids['new-ops']}: benchmark_model on new-ops.tflite" in output
    assert "Didn't find op for builtin opcode 'SUB' version '2'" in output
    assert ids["fine"][:12] in output and ids["new-ops"][:12] not in output.split("failed:")[0]
    assert done.stderr.strip().splitlines() == [
        "error: 1 of 2 artifacts could not be measured on old-pi (each listed above with its "
        "reason)"
    ]
