"""Measuring on this machine: the LiteRT runner script, `benchmark_model` (a stand-in script
printing its output format), the `bench` command and its warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from thesislab.bench.check import check_device
from thesislab.bench.cli import bench as bench_command
from thesislab.bench.devices import DeviceSpec
from thesislab.bench.hosts import LocalHost
from thesislab.bench.measure import bench, time_files
from thesislab.bench.protocol import PRESETS
from thesislab.bench.runtimes import runtime_for
from thesislab.errors import ThesislabError
from thesislab.models.spec import ArchSpec
from thesislab.records import ArtifactRecord, MeasurementRecord, ModelRecord
from thesislab.store import Store

FAKE_BENCHMARK_MODEL = """#!/bin/sh
# Stands in for TFLite's benchmark_model: each call is 10 % slower than the one before.
echo "$@" >> "{log}"
calls=$(wc -l < "{log}")
avg=$((900 + calls * 100))
echo "INFO: Running benchmark for at least 1 iterations and at least 0 seconds"
echo "INFO: count=2 first=2000 curr=1500 min=1500 max=2000 avg=1750 std=250"
echo "INFO: count=5 first=$avg curr=$avg min=$avg max=$avg avg=$avg std=10" >&2
summary="Init: 3.5e+03, First inference: 2000, Warmup (avg): 1750, Inference (avg): $avg"
echo "INFO: Inference timings in us: $summary" >&2
"""


@pytest.fixture
def store(tmp_path: Path, tiny_tflite: Path) -> Store:
    store = Store(tmp_path / "results")
    (store.files_dir() / "tflite").mkdir(parents=True)
    (store.files_dir() / "tflite" / "tiny.tflite").write_bytes(tiny_tflite.read_bytes())
    return store


def _artifact(store: Store) -> str:
    record = ArtifactRecord(model_id="m", quantization="fp32", path="files/tflite/tiny.tflite")
    return store.write(record)


def test_runner_script_prints_json(tiny_tflite: Path):
    command = [sys.executable, "-m", "thesislab.bench.litert_runner"]
    version = json.loads(subprocess.run([*command, "--version"], capture_output=True, text=True,
                                        check=True).stdout)  # fmt: skip
    assert version["runtime"].startswith("ai-edge-litert ")
    output = subprocess.run(
        [*command, str(tiny_tflite), "--runs=4", "--warmup=2", "--batch=3"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(output)
    assert len(figures["times_ms"]) == 4 and figures["init_ms"] > 0 and figures["first_ms"] > 0


def test_local_host_kills_on_timeout_and_names_missing_programs():
    host = LocalHost("local")
    with pytest.raises(ThesislabError, match=r"timed out after 0\.5 s and was killed: sleep 10"):
        host.run(["sleep", "10"], timeout_s=0.5)
    with pytest.raises(ThesislabError, match=r"expected an executable '/nonexistent/tool'"):
        host.run(["/nonexistent/tool"], timeout_s=5)


def test_benchmark_model_runtime_and_disagreeing_passes(store: Store, tmp_path: Path):
    log = tmp_path / "calls.log"
    binary = tmp_path / "benchmark_model"
    binary.write_text(FAKE_BENCHMARK_MODEL.format(log=log))
    binary.chmod(0o755)
    device = DeviceSpec(name="bm", runtime="benchmark_model", benchmark_model=str(binary))
    protocol = PRESETS["quick"].model_copy(update={"passes": 2, "runs": 5, "warmup_runs": 2})
    outcome = bench(store, [_artifact(store)], device, protocol)
    [(_, record)] = outcome.measurements
    assert record.runtime == "benchmark_model (benchmark_model)"
    # passes 10 % apart: measured again twice (quick's `remeasures`), the last attempt kept
    assert record.latency.set_aside_pass_means_ms == [[1.0, 1.1], [1.2, 1.3]]
    assert record.latency.pass_means_ms == [1.4, 1.5]
    assert record.latency.init_ms == pytest.approx(3.5)
    assert record.latency.std_ms is not None and record.latency.median_ms is None
    assert any(
        "passes disagree by 7.1%" in warning and "after 3 attempt(s)" in warning
        for warning in outcome.warnings
    )
    first_call = log.read_text().splitlines()[0].split()
    assert first_call[1:] == [
        "--num_threads=1", "--warmup_runs=2", "--num_runs=5", "--min_secs=0",
        "--warmup_min_secs=0",
    ]  # fmt: skip
    assert first_call[0].startswith("--graph=") and first_call[0].endswith("tiny.tflite")


def test_thesis_protocol_on_benchmark_model(store: Store, tmp_path: Path):
    log = tmp_path / "calls.log"
    binary = tmp_path / "benchmark_model"
    binary.write_text(FAKE_BENCHMARK_MODEL.format(log=log))
    binary.chmod(0o755)
    device = DeviceSpec(name="bm", runtime="benchmark_model", benchmark_model=str(binary))
    protocol = PRESETS["thesis2019"].model_copy(update={"pause_s": 0.0})
    [(_, record)] = bench(store, [_artifact(store)], device, protocol).measurements
    calls = [line.split()[1:] for line in log.read_text().splitlines()]
    assert calls == [
        ["--num_threads=1", "--warmup_runs=1", "--num_runs=50", "--min_secs=1",
         "--warmup_min_secs=0.5"]
    ] * 3  # fmt: skip
    assert record.latency.pass_means_ms == [1.0, 1.1, 1.2]
    assert record.latency.mean_ms == pytest.approx(1.1)
    assert record.protocol.min_secs == 1.0 and record.protocol.name == "thesis2019"


def test_runner_keeps_running_until_the_least_durations(tiny_tflite: Path):
    command = [sys.executable, "-m", "thesislab.bench.litert_runner", str(tiny_tflite)]
    output = subprocess.run(
        [*command, "--runs=2", "--warmup=1", "--min-secs=0.3", "--warmup-min-secs=0.1"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    times = json.loads(output)["times_ms"]
    assert len(times) > 2 and sum(times) >= 300.0
    plain = json.loads(
        subprocess.run([*command, "--runs=2"], capture_output=True, text=True, check=True).stdout
    )
    assert len(plain["times_ms"]) == 2


def test_litert_runtime_passes_the_least_durations(tiny_tflite: Path):
    runtime = runtime_for(DeviceSpec(name="local"))
    host = LocalHost("local")
    runtime.prepare(host)
    protocol = PRESETS["quick"].model_copy(update={"runs": 1, "warmup_runs": 1, "min_secs": 0.2})
    result = runtime.call(host, str(tiny_tflite), protocol, timeout_s=60)
    assert result.count > 1 and sum(result.times_ms) >= 200.0


def test_litert_runtime_times_each_run_against_the_reference(tiny_tflite: Path, tmp_path: Path):
    runtime = runtime_for(DeviceSpec(name="local"))
    host = LocalHost("local")
    runtime.prepare(host)
    protocol = PRESETS["lut"].model_copy(update={"runs": 5, "warmup_runs": 1})
    result = runtime.call(host, str(tiny_tflite), protocol, 60, reference=str(tiny_tflite))
    assert len(result.times_ms) == len(result.reference_times_ms) == 5
    plain = runtime.call(host, str(tiny_tflite), protocol, timeout_s=60)
    assert plain.reference_times_ms == ()


def test_a_protocol_with_a_reference_needs_one(tiny_tflite: Path):
    with pytest.raises(ThesislabError, match="expected a reference file, received none"):
        time_files({"model": tiny_tflite}, DeviceSpec(name="local"), PRESETS["lut"])


def test_check_reads_vcgencmd_where_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    vcgencmd = tmp_path / "vcgencmd"
    vcgencmd.write_text(
        '#!/bin/sh\ncase "$1" in measure_temp) echo "temp=61.2\'C";; '
        "get_throttled) echo throttled=0x50005;; esac\n"
    )
    vcgencmd.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    facts = check_device(LocalHost("local"), runtime_for(DeviceSpec(name="local")))
    assert (facts.temperature, facts.throttled) == ("61.2'C", "0x50005")
    assert facts.warnings() == ["the device reports throttling (0x50005): results may be slow"]
    assert facts.runtime.startswith("ai-edge-litert") and facts.kernel.startswith("Linux")


def test_bench_rejects_what_is_not_an_artifact(store: Store):
    model = store.write(ModelRecord(name="m", architecture=ArchSpec(family="wideresnet")))
    with pytest.raises(ThesislabError, match=r"expected an artifact record .* of kind 'model'"):
        bench(store, [model], DeviceSpec(name="local"), PRESETS["quick"])
    missing = store.write(ArtifactRecord(model_id="m", quantization="int8", path="files/none"))
    with pytest.raises(ThesislabError, match=r"expected its file files/none under .*found none"):
        bench(store, [missing], DeviceSpec(name="local"), PRESETS["quick"])


def test_bench_command_on_local(store: Store):
    app = typer.Typer()
    app.command()(bench_command)
    app.command("other")(lambda: None)  # keeps `bench` a named subcommand
    artifact = _artifact(store)
    result = CliRunner().invoke(
        app,
        ["bench", artifact[:10], "--results", str(store.root), "--runs", "5", "--passes", "2"],
    )
    assert result.exit_code == 0, result.output
    [record] = store.of_kind(MeasurementRecord).values()
    assert record.protocol.name == "custom" and record.protocol.runs == 5
    assert record.device.name == "local" and record.latency.median_ms is not None
    assert "median ms" in result.output
    help_text = CliRunner().invoke(app, ["bench", "--help"]).output
    assert "Example: thesislab bench" in help_text
