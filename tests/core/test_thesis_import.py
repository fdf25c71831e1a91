"""Import of the 2019 thesis CSVs: every format, units, deduplication, all or nothing."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from thesislab.errors import ThesislabError
from thesislab.importers.thesis2019 import import_thesis
from thesislab.records import ArtifactRecord, MeasurementRecord, ModelRecord
from thesislab.results.table import table
from thesislab.store import Store

ARCHITECTURES = """\
file_name,arch,depth,width,other,se,acc1,acc2,acc3,time
mobilenetv2_d12_er6_w24_se2_dropout,mobilenetv2,12,24,6,2,.9456,.9464,.946,.1080
mobilenetv1_d15_cosine,mobilenetv1,15,32,NaN,NaN,.9182,.9191,.9196,.0226
mobilenetv2_d9_er4_w16_dropout,mobilenetv2,9,16,4,NaN,.9284,.9277,.9305,.0272
"""
QUANTIZED = """\
file_name,arch,depth,width,other,se,acc1,acc2,acc3,time
mobilenetv2_d9_er4_w16_dropout_quantized,mobilenetv2_quantized,9,16,4,NaN,.9247,.9243,.9213,.0276
mobilenetv2_d9_er4_w16_dropout,mobilenetv2,9,16,4,NaN,.9284,.9277,.9305,.0272
"""
VALIDATION = """\
file_name,arch,depth,width,other,acc,time
shufflenetv2_d12_w64_se2_cosine,shufflenetv2,12,64,2,.934,.0505
mobilenetv1_d18_w100_dropout,mobilenetv1,18,100,NaN,,
"""
TEST_KD_EXTRA = """\
name,net,KD_pipeline,acc1,acc2,acc3,time,comment
res-16-KD,res-16,true,0.9287,0.9226,0.9255,.0325,kept
res-16-base,res-16,false,.9216,.9186,.9187,.0325,baseline
"""
TEST_KD_GROUPS = """\
file_name,pipeline,acc1,acc2,acc3
mobilenetv1_d15_w100_cosine_KDnoT_t2_l02,teacher,.949,.9462,.9468
mobilenetv1_d12_w64_cosine_KDnoT_t2_l02,student,.9432,.9444,.9386
mobilenetv1_d12_w64_cosine,no_KD,.9384,.9374,.9336

mobilenetv2_d12_er6_w24_dropout_newKD,teacher,.95,.9474,.9494
mobilenetv2_d9_er4_w24_dropout_newKD,student,.9386,.9346,.9366
"""
PRUNING = """\
file_name,no_fine_tune,fine_tune,retrain_scratch,table_time,measured_time,method,criterion
res-40-2-l2_pruned-pf=0.4-dr=0.98,6.58,5.89,5.37,0.2099,.2077,NetAdapt,l2
res-40-2-unif_pruned-0.2-1,NaN,NaN,5.53,NaN,.2296,uniformly_pruned,NaN
unpruned,NaN,NaN,5.14,NaN,.3483,unpruned,NaN
"""


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(textwrap.dedent(text))
    return directory


def rows_named(frame, name):
    return frame[frame["name"] == name]


def test_architectures_seeds_units_and_defaults(tmp_path):
    source = write(tmp_path / "src", {"architectures.csv": ARCHITECTURES})
    import_thesis(source, Store(tmp_path / "results"))
    frame = table(tmp_path / "results")
    row = rows_named(frame, "mobilenetv2_d12_er6_w24_se2_dropout").iloc[0]
    assert row.accuracy == pytest.approx(0.946)
    assert row.n_seeds == 3
    assert row.latency_ms == pytest.approx(108.0)
    assert row.device == "raspberry-pi-3b" and row.quantization == "fp32"
    assert row.source == "thesis-2019" and not row.distilled
    models = Store(tmp_path / "results").of_kind(ModelRecord)
    mobilenetv1 = [m for m in models.values() if m.name == "mobilenetv1_d15_cosine"]
    assert {m.architecture.params["width"] for m in mobilenetv1} == {32}
    assert {m.seed for m in mobilenetv1} == {1, 2, 3}
    assert all(m.recipe_fields["tags"] == ["cosine"] for m in mobilenetv1)
    measurements = Store(tmp_path / "results").of_kind(MeasurementRecord)
    assert {m.protocol.name for m in measurements.values()} == {"thesis2019"}
    assert {m.runtime for m in measurements.values()} == {"tflite-1.13.1 benchmark_model"}


def test_quantized_rows_are_int8_and_repeated_baselines_are_not_duplicated(tmp_path):
    source = write(
        tmp_path / "src", {"architectures.csv": ARCHITECTURES, "quantized_archs.csv": QUANTIZED}
    )
    import_thesis(source, Store(tmp_path / "results"))
    frame = table(tmp_path / "results")
    rows = rows_named(frame, "mobilenetv2_d9_er4_w16_dropout")
    assert sorted(rows["quantization"]) == ["fp32", "int8"]
    assert len(rows) == 2
    int8 = rows[rows["quantization"] == "int8"].iloc[0]
    fp32 = rows[rows["quantization"] == "fp32"].iloc[0]
    assert int8.accuracy == pytest.approx((0.9247 + 0.9243 + 0.9213) / 3)
    assert int8.latency_ms == pytest.approx(27.6)
    assert fp32.accuracy == pytest.approx((0.9284 + 0.9277 + 0.9305) / 3)
    assert int8.config_id == fp32.config_id


def test_single_acc_file_is_validation_accuracy_and_blank_rows_are_skipped(tmp_path):
    source = write(tmp_path / "src", {"architectures_val.csv": VALIDATION})
    import_thesis(source, Store(tmp_path / "results"))
    models = list(Store(tmp_path / "results").of_kind(ModelRecord).values())
    assert len(models) == 1
    assert models[0].validation_accuracy == pytest.approx(0.934)
    assert models[0].accuracy is None
    assert models[0].architecture.params["se_ratio"] == 2


def test_test_kd_with_extra_column_and_distillation_flags(tmp_path):
    source = write(tmp_path / "src", {"test_KD_extra.csv": TEST_KD_EXTRA})
    import_thesis(source, Store(tmp_path / "results"))
    frame = table(tmp_path / "results")
    assert bool(rows_named(frame, "res-16-KD").iloc[0].distilled)
    assert not bool(rows_named(frame, "res-16-base").iloc[0].distilled)
    assert set(frame["family"]) == {"wideresnet"}
    assert list(frame["latency_ms"]) == pytest.approx([32.5, 32.5])


def test_kd_pipeline_groups_link_students_to_their_teacher(tmp_path):
    source = write(tmp_path / "src", {"test_KD_3.csv": TEST_KD_GROUPS})
    store = Store(tmp_path / "results")
    import_thesis(source, store)
    models = store.of_kind(ModelRecord)
    by_name = {}
    for identifier, model in models.items():
        by_name.setdefault(model.name, []).append((identifier, model))
    teacher_ids = {i for i, _ in by_name["mobilenetv1_d15_w100_cosine_KDnoT_t2_l02"]}
    students = by_name["mobilenetv1_d12_w64_cosine_KDnoT_t2_l02"]
    assert all(m.lineage.distilled and m.lineage.teacher_id in teacher_ids for _, m in students)
    assert not any(m.lineage.distilled for _, m in by_name["mobilenetv1_d12_w64_cosine"])
    second_student = by_name["mobilenetv2_d9_er4_w24_dropout_newKD"][0][1]
    second_teacher_ids = {i for i, _ in by_name["mobilenetv2_d12_er6_w24_dropout_newKD"]}
    assert second_student.lineage.teacher_id in second_teacher_ids


def test_pruning_rows_become_stage_models_with_measured_and_predicted_latency(tmp_path):
    source = write(tmp_path / "src", {"pruning_methods.csv": PRUNING})
    import_thesis(source, Store(tmp_path / "results"))
    frame = table(tmp_path / "results")
    netadapt = rows_named(frame, "res-40-2-l2_pruned-pf=0.4-dr=0.98")
    assert sorted(netadapt["stage"]) == ["fine_tuned", "pruned", "retrained"]
    by_stage = {row.stage: row for row in netadapt.itertuples()}
    assert by_stage["pruned"].accuracy == pytest.approx(0.9342)
    assert by_stage["fine_tuned"].accuracy == pytest.approx(0.9411)
    assert by_stage["retrained"].accuracy == pytest.approx(0.9463)
    assert by_stage["retrained"].latency_ms == pytest.approx(207.7)
    assert by_stage["retrained"].predicted_latency_ms == pytest.approx(209.9)
    assert set(netadapt["pruning_method"]) == {"netadapt"}
    uniform = rows_named(frame, "res-40-2-unif_pruned-0.2-1")
    assert list(uniform["stage"]) == ["retrained"]
    assert list(uniform["pruning_method"]) == ["uniform"]
    unpruned = rows_named(frame, "unpruned").iloc[0]
    assert unpruned.stage == "trained" and pd.isna(unpruned.pruning_method)


def test_import_twice_changes_nothing(tmp_path):
    source = write(tmp_path / "src", {"architectures.csv": ARCHITECTURES, "pruning.csv": PRUNING})
    store = Store(tmp_path / "results")
    first = import_thesis(source, store)
    snapshot = sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*"))
    second = import_thesis(source, Store(tmp_path / "results"))
    assert first.written == first.records > 0 and second.written == 0
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "results").rglob("*")) == snapshot


@pytest.mark.parametrize(
    ("bad_file", "message"),
    [
        (
            "file_name,arch,depth,width,other,se,acc1,time\n"
            "mobilenetv2_d9,mobilenetv2,9,16,4,NaN,abc,.1\n",
            r"bad\.csv:2: expected a number in column 'acc1', received 'abc'",
        ),
        (
            "file_name,arch,depth,width,other,se,acc1,time\n"
            "mobilenetv2_d9_zz4,mobilenetv2,9,16,4,NaN,.9,.1\n",
            r"bad\.csv:2: model name 'mobilenetv2_d9_zz4': expected mobilenetv2 parameters "
            r".*, received unknown part 'zz4'",
        ),
        ("foo,bar\n1,2\n", r"bad\.csv:1: unknown thesis CSV format"),
        (
            "file_name,arch,depth,width,other,se,acc1,time\nx,mobilenetv2,9,16\n",
            r"bad\.csv:2: expected 8 columns, received 4",
        ),
        (
            "file_name,arch,depth,width,other,se,acc1,time\n"
            "mobilenetv2_d9,mobilenetv2,9,16,4,NaN,1.7,.1\n",
            r"bad\.csv:2: expected an accuracy in \[0, 1\]",
        ),
    ],
)
def test_malformed_file_writes_nothing(tmp_path, bad_file, message):
    source = write(tmp_path / "src", {"architectures.csv": ARCHITECTURES, "bad.csv": bad_file})
    with pytest.raises(ThesislabError, match=message):
        import_thesis(source, Store(tmp_path / "results"))
    assert not (tmp_path / "results").exists()


def test_full_thesis_seed_imports(seed_dir, tmp_path):
    source = tmp_path / "seed"
    shutil.copytree(seed_dir, source, ignore=shutil.ignore_patterns("*.md"))
    summary = import_thesis(source, Store(tmp_path / "results"))
    assert summary.files == 5
    frame = table(tmp_path / "results")
    row = rows_named(frame, "mobilenetv2_d12_er6_w24_se2_dropout")
    assert len(row) == 1
    assert row.iloc[0].accuracy == pytest.approx(0.946) and row.iloc[0].n_seeds == 3
    assert row.iloc[0].latency_ms == pytest.approx(108.0)
    assert set(frame["pruning_method"].dropna()) == {"netadapt", "morphnet", "fisher", "uniform"}
    assert Store(tmp_path / "results").of_kind(ArtifactRecord)
