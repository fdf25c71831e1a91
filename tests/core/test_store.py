"""The results directory: atomic, idempotent, parallel-safe writes; validated loads; the table."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from thesislab.errors import ThesislabError
from thesislab.models.spec import ArchSpec
from thesislab.records import (
    ArtifactRecord,
    DeviceInfo,
    LatencyStats,
    Lineage,
    MeasurementRecord,
    ModelRecord,
    Protocol,
    Pruning,
)
from thesislab.store import TABLE_COLUMNS, Store, atomic_write_bytes, discover, table

SPEC = ArchSpec(family="mobilenetv2", params={"depth": 9, "width": 16, "expansion": 4})


def _model(seed: int, accuracy: float, **changes: object) -> ModelRecord:
    base = ModelRecord(
        name="mobilenetv2_d9_er4_w16",
        architecture=SPEC,
        seed=seed,
        accuracy=accuracy,
        params=1000,
        macs=2000,
    )
    return base.model_copy(update=changes)


def _measure(artifact_id: str, device: str, median: float, predicted: float | None = None):
    return MeasurementRecord(
        artifact_id=artifact_id,
        device=DeviceInfo(name=device),
        runtime="ai-edge-litert",
        protocol=Protocol(runs=10),
        latency=LatencyStats(mean_ms=median + 1, median_ms=median),
        predicted_latency_ms=predicted,
    )


def test_write_is_idempotent(tmp_path):
    store = Store(tmp_path)
    first = store.write(_model(1, 0.9))
    path = store.path_of("model", first)
    stamp = path.stat().st_mtime_ns
    assert store.write(_model(1, 0.9)) == first
    assert path.stat().st_mtime_ns == stamp
    assert len(list((tmp_path / "model").iterdir())) == 1
    assert Store(tmp_path).get(first[:8]) == _model(1, 0.9)


def _write_many(root: str, worker: int, count: int) -> None:
    store = Store(Path(root))
    for index in range(count):
        store.write(_model(seed=worker * 10_000 + index, accuracy=0.5))


def test_parallel_writers_lose_nothing(tmp_path):
    workers, per_worker = 8, 500
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_many, args=(str(tmp_path), worker, per_worker))
        for worker in range(workers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    loaded = Store(tmp_path).load()
    assert len(loaded) == workers * per_worker
    assert not [path for path in (tmp_path / "model").iterdir() if path.name.startswith(".")]


def test_writer_killed_mid_write_leaves_no_record(tmp_path):
    """The writer is killed while its data sits in the temporary file, before the rename."""
    target = tmp_path / "model" / "killed.json"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from thesislab.store import atomic_write_bytes

        def stalled_fsync(descriptor):
            print("writing", flush=True)
            time.sleep(60)

        os.fsync = stalled_fsync
        atomic_write_bytes(Path({str(target)!r}), b"{{" * 1_000_000)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"writing"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not target.exists()
    assert Store(tmp_path).load() == {}


def test_atomic_write_replaces_whole_file(tmp_path):
    path = tmp_path / "a" / "file.bin"
    atomic_write_bytes(path, b"one")
    atomic_write_bytes(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["file.bin"]


def test_invalid_file_names_file_and_field(tmp_path):
    store = Store(tmp_path)
    identifier = store.write(_model(1, 0.9))
    path = store.path_of("model", identifier)
    data = json.loads(path.read_text())
    data["accuracy"] = 7
    path.write_text(json.dumps(data))
    with pytest.raises(ThesislabError) as error:
        Store(tmp_path).load()
    message = str(error.value)
    assert str(path) in message and "accuracy" in message and "\n" not in message


def test_corrupt_json_is_a_one_line_error(tmp_path):
    (tmp_path / "artifact").mkdir()
    (tmp_path / "artifact" / "broken.json").write_text("{not json")
    with pytest.raises(ThesislabError, match=r"broken\.json: not valid JSON"):
        Store(tmp_path).load()


def test_table_aggregates_seeds_and_joins_devices(tmp_path):
    store = Store(tmp_path)
    models = [store.write(_model(seed, accuracy)) for seed, accuracy in [(1, 0.90), (2, 0.92)]]
    fp32 = [store.write(ArtifactRecord(model_id=m, quantization="fp32")) for m in models]
    int8 = [
        store.write(ArtifactRecord(model_id=m, quantization="int8", accuracy=a))
        for m, a in zip(models, [0.88, 0.86], strict=True)
    ]
    store.write(_measure(fp32[0], "local", 4.0, predicted=4.2))
    store.write(_measure(fp32[1], "local", 6.0, predicted=4.2))
    store.write(_measure(fp32[0], "pi", 40.0))
    store.write(_measure(int8[0], "local", 1.0))
    frame = table(tmp_path)
    assert list(frame.columns) == list(TABLE_COLUMNS)
    rows = {(r.quantization, r.device): r for r in frame.itertuples()}
    assert set(rows) == {("fp32", "local"), ("fp32", "pi"), ("int8", "local")}
    local = rows[("fp32", "local")]
    assert local.accuracy == pytest.approx(0.91)
    assert local.accuracy_std == pytest.approx(0.0141421, rel=1e-4)
    assert local.n_seeds == 2
    assert local.latency_ms == pytest.approx(5.0)
    assert local.latency_predicted_ms == pytest.approx(4.2)
    assert rows[("int8", "local")].accuracy == pytest.approx(0.87)
    assert rows[("fp32", "pi")].latency_ms == 40.0
    assert local.params == 1000 and local.family == "mobilenetv2"


def test_table_keeps_models_without_artifacts_and_separates_lineages(tmp_path):
    store = Store(tmp_path)
    store.write(_model(1, 0.9))
    pruned = _model(1, 0.8, lineage=Lineage(stage="pruned", pruning=Pruning(method="fisher")))
    store.write(pruned)
    frame = table([tmp_path])
    assert len(frame) == 2
    assert set(frame["stage"]) == {"trained", "pruned"}
    assert frame["quantization"].isna().all()
    assert set(frame["pruning_method"].dropna()) == {"fisher"}


def test_discover_finds_nested_results_directories(tmp_path):
    Store(tmp_path / "a").write(_model(1, 0.9))
    Store(tmp_path / "b").write(_model(2, 0.9))
    (tmp_path / "notes").mkdir()
    assert discover([tmp_path]) == [tmp_path / "a", tmp_path / "b"]
    assert discover([tmp_path / "a"]) == [tmp_path / "a"]
