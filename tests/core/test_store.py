"""The results directory: atomic, idempotent, parallel-safe writes; validated loads; the table;
the layout of every path in it; typed lookups; the check that names every bad file; upgrades of
older record files."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from thesislab import records as records_module
from thesislab import store as store_module
from thesislab.errors import ThesislabError
from thesislab.filesystem import atomic_write_bytes
from thesislab.folder_changes import FolderChanges
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
    record_id,
    upgrade,
)
from thesislab.results.table import TABLE_COLUMNS, table
from thesislab.store import KINDS, RESULTS_ROOT, Store, discover

EXPERIMENTS = Path(__file__).resolve().parents[2] / RESULTS_ROOT
QUICKSTART = EXPERIMENTS / "quickstart"

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
        from thesislab.filesystem import atomic_write_bytes

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


def test_atomic_write_gives_the_mode_of_a_new_file(tmp_path):
    previous = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "file.bin", b"one")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "file.bin").stat().st_mode) == 0o640


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
    models = [
        store.write(_model(seed, accuracy, training_time_s=seconds))
        for seed, accuracy, seconds in [(1, 0.90, 10.0), (2, 0.92, 20.0)]
    ]
    fp32 = [
        store.write(ArtifactRecord(model_id=m, quantization="fp32", size_bytes=size))
        for m, size in zip(models, [100, 300], strict=True)
    ]
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
    assert local.predicted_latency_ms == pytest.approx(4.2)
    assert rows[("int8", "local")].accuracy == pytest.approx(0.87)
    assert rows[("fp32", "pi")].latency_ms == 40.0
    assert local.params == 1000 and local.family == "mobilenetv2"
    assert local.size_bytes == pytest.approx(200.0)  # the mean of its artifacts' files
    assert local.training_time_s == pytest.approx(15.0)  # the mean of its seeds'
    assert rows[("int8", "local")].training_time_s == pytest.approx(15.0)
    assert pd.isna(rows[("int8", "local")].size_bytes)  # its artifacts record no size


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


def _thesislab(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from thesislab.cli import main; main()", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[Path | str]:
    """Patch the store's file reader to note every file it reads."""
    read: list[Path | str] = []
    real = store_module.read_record

    def counting(path: Path | str):
        read.append(path)
        return real(path)

    monkeypatch.setattr(store_module, "read_record", counting)
    return read


def test_every_path_of_a_results_directory_comes_from_the_store(tmp_path):
    store = Store(tmp_path)
    assert store.path_of("model", "abc") == tmp_path / "model" / "abc.json"
    assert store.weights_path("k") == tmp_path / "files" / "models" / "k.keras"
    assert store.tflite_path("t") == tmp_path / "files" / "tflite" / "t.tflite"
    assert store.checkpoint_path("k") == tmp_path / "checkpoints" / "k.npz"
    assert store.lut_dir("pi") == tmp_path / "lut" / "pi"
    assert store.ledger_dir() == tmp_path / "jobs"
    assert store.relative(store.weights_path("k")) == "files/models/k.keras"
    assert store.resolve("files/models/k.keras") == store.weights_path("k")


def test_committed_records_point_to_files_where_the_store_puts_them():
    store = Store(QUICKSTART)
    for model in store.of_kind(ModelRecord).values():
        assert model.weights_path is not None
        name = Path(model.weights_path).stem
        assert store.resolve(model.weights_path) == store.weights_path(name)
        assert store.resolve(model.weights_path).is_file()
    for artifact in store.of_kind(ArtifactRecord).values():
        assert artifact.path is not None
        name = Path(artifact.path).stem
        assert store.resolve(artifact.path) == store.tflite_path(name)


def test_content_keys_of_committed_runs_jobs_and_tables_are_unchanged(tmp_path):
    """Weights files are named by run key and ledger entries by job key: both still match."""
    from thesislab.latency.table import table_path
    from thesislab.studies.check import load_study
    from thesislab.studies.plan import plan
    from thesislab.train.run import record_run_key

    store = Store(QUICKSTART)
    models = store.of_kind(ModelRecord)
    assert models
    for model in models.values():
        assert model.weights_path == store.relative(store.weights_path(record_run_key(model)))
    for study in ("quickstart", "latency-atlas"):
        jobs = plan(load_study(EXPERIMENTS / f"{study}.yaml"))
        ledger = {path.stem for path in Store(EXPERIMENTS / study).ledger_dir().glob("*.json")}
        assert {job.key for job in jobs} == ledger, study
    spec = ArchSpec(family="wideresnet", params={"depth": 10, "width": 1.0})
    assert table_path(tmp_path, "pi", spec) == Store(tmp_path).lut_dir("pi") / (
        "wideresnet-de25051744.json"
    )


def test_get_is_typed(tmp_path):
    store = Store(tmp_path)
    model_id = store.write(_model(1, 0.9))
    artifact_id = store.write(ArtifactRecord(model_id=model_id, quantization="int8"))
    model = store.get(model_id[:8], ModelRecord)
    assert isinstance(model, ModelRecord) and record_id(model) == model_id
    assert store.get(artifact_id, ArtifactRecord).model_id == model_id
    with pytest.raises(ThesislabError, match=r"expected a model record .* of kind 'artifact'$"):
        store.get(artifact_id, ModelRecord)
    with pytest.raises(ThesislabError, match=r"expected an artifact record .* of kind 'model'$"):
        store.get(model_id, ArtifactRecord)
    with pytest.raises(ThesislabError, match="found no record"):
        Store(tmp_path).get("0123456789abcdef", ModelRecord)


def test_get_refuses_an_ambiguous_or_short_prefix(tmp_path):
    store = Store(tmp_path)
    identifier = store.write(_model(1, 0.9))
    for twin in ("abcdef0123456789aaaa", "abcdef0123456789bbbb"):
        shutil.copy(store.path_of("model", identifier), store.path_of("model", twin))
    with pytest.raises(ThesislabError, match=r"'abcdef0123' in .*, found 2 records$"):
        store.get("abcdef0123")
    with pytest.raises(ThesislabError, match=r"found no record$"):
        store.get(identifier[:5])
    assert store.get(identifier[:6]) == _model(1, 0.9)
    assert store.get("abcdef0123456789bbbb") == _model(1, 0.9)


def test_load_and_table_share_one_scan_that_reads_each_file_version_once(tmp_path, monkeypatch):
    writer = Store(tmp_path)
    first = writer.write(_model(1, 0.9))
    writer.write(ArtifactRecord(model_id=first, quantization="fp32"))
    read = _count_reads(monkeypatch)
    shared = Store.shared(tmp_path)
    assert len(table(tmp_path)) == 1
    assert len(read) == 2
    assert set(shared.load()) == set(writer.load()) and len(read) == 2
    second = writer.write(_model(2, 0.8))
    frame = table(tmp_path)
    assert frame.loc[0, "n_seeds"] == 2 and len(read) == 3
    assert Path(read[-1]) == writer.path_of("model", second)
    # A file rewritten in place (a hand edit) is read again.
    path = writer.path_of("model", second)
    data = json.loads(path.read_text())
    data["accuracy"] = 0.7
    path.write_text(json.dumps(data, indent=4))
    assert table(tmp_path).loc[0, "accuracy"] == pytest.approx(0.8)
    assert len(read) == 4


def _count_stamps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patch the store's look at a file's (mtime, size) to note every file it looks at."""
    looked: list[str] = []
    real = store_module._stamp

    def counting(path: str) -> tuple[int, int]:
        looked.append(path)
        return real(path)

    monkeypatch.setattr(store_module, "_stamp", counting)
    return looked


def test_a_shared_store_looks_again_only_at_the_files_the_kernel_says_changed(
    tmp_path, monkeypatch
):
    noticing = FolderChanges.of(str(tmp_path))
    if noticing is None:
        pytest.skip("the kernel notices no change here (another platform or file system)")
    noticing.close()
    writer = Store(tmp_path)
    edited, gone = writer.write(_model(1, 0.9)), writer.write(_model(2, 0.8))
    shared = Store.shared(tmp_path)
    assert set(shared.of_kind(ModelRecord)) == {edited, gone}
    looked = _count_stamps(monkeypatch)
    assert set(shared.of_kind(ModelRecord)) == {edited, gone} and looked == []
    path = writer.path_of("model", edited)
    data = json.loads(path.read_text())
    data["accuracy"] = 0.7
    path.write_text(json.dumps(data))  # in place: the same file, new content
    writer.path_of("model", gone).unlink()
    added = writer.write(_model(3, 0.85))
    loaded = shared.of_kind(ModelRecord)
    assert set(loaded) == {edited, added} and loaded[edited].accuracy == 0.7
    assert set(looked) == {str(writer.path_of("model", m)) for m in (edited, added)}
    shutil.rmtree(tmp_path / "model")  # the folder gone: read whole when it is back
    again = writer.write(_model(4, 0.8))
    assert set(shared.of_kind(ModelRecord)) == {again}


def test_committed_records_are_named_by_the_ids_of_their_content():
    directories = discover([EXPERIMENTS])
    assert QUICKSTART in directories
    for directory in directories:
        checked, problems = Store(directory).check()
        assert checked > 0 and problems == []


def test_check_names_every_hand_edited_corrupted_or_misplaced_record(tmp_path):
    results = tmp_path / "quickstart"
    for kind in KINDS:
        shutil.copytree(QUICKSTART / kind, results / kind)
    store = Store(results)
    edited = next((results / "model").iterdir())
    data = json.loads(edited.read_text())
    data["accuracy"] = 0.5
    edited.write_text(json.dumps(data, indent=2))
    edited_id = record_id(ModelRecord.model_validate(data))
    corrupted = next((results / "artifact").iterdir())
    corrupted.write_text(corrupted.read_text()[:40])
    measurement = next((results / "measurement").iterdir())
    misplaced = results / "model" / measurement.name
    shutil.copy(measurement, misplaced)
    total = sum(len(list((results / kind).iterdir())) for kind in KINDS)

    checked, problems = store.check()
    assert checked == total and len(problems) == 3
    completed = _thesislab("results", "check", "-r", str(results))
    assert completed.returncode == 1
    lines = completed.stderr.splitlines()
    assert lines[-1] == (
        f"error: expected every record file valid and named by its id, found 3 bad of {total}"
    )
    named = {bad: [line for line in lines if str(bad) in line] for bad in (edited, corrupted)}
    assert named[edited] == [
        f"{edited}: expected the name {edited_id}.json (the id of its content), "
        f"received {edited.name}"
    ]
    assert len(named[corrupted]) == 1 and "not valid JSON" in named[corrupted][0]
    assert [line for line in lines if str(misplaced) in line] == [
        f"{misplaced}: expected a model record, received a measurement record"
    ]
    assert len(lines) == 4
    assert "records valid" not in completed.stdout


def test_a_record_of_a_newer_schema_version_is_a_one_line_error(tmp_path):
    store = Store(tmp_path)
    path = store.path_of("model", store.write(_model(1, 0.9)))
    data = json.loads(path.read_text())
    data["schema_version"] = records_module.SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(ThesislabError) as error:
        Store(tmp_path).load()
    message = str(error.value)
    assert message.startswith(f"{path}: expected schema version {records_module.SCHEMA_VERSION}")
    assert "\n" not in message


def test_older_record_data_is_upgraded_step_by_step(monkeypatch):
    """With a (hypothetical) version 3, a version-1 file goes through the steps 1->2 and 2->3."""
    current = _model(1, 0.9).model_dump(mode="json")
    old = {**current, "schema_version": 1, "top1": current["accuracy"]}
    del old["accuracy"]
    steps = {
        1: lambda data: {**{k: v for k, v in data.items() if k != "top1"}, "acc": data["top1"]},
        2: lambda data: {**{k: v for k, v in data.items() if k != "acc"}, "accuracy": data["acc"]},
    }
    monkeypatch.setattr(records_module, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(records_module, "UPGRADES", steps)
    assert upgrade(old) == {**current, "schema_version": 3}
    assert upgrade({**current, "schema_version": 3}) == {**current, "schema_version": 3}
    with pytest.raises(ThesislabError, match="expected schema version 3 or older, received 4"):
        upgrade({**current, "schema_version": 4})
