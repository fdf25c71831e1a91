"""The command line: help texts, exit codes, one-line errors, table formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from thesislab.legacy.thesis2019 import import_thesis
from thesislab.store import Store

CSV = """file_name,arch,depth,width,other,se,acc1,acc2,time
mobilenetv2_d9_er4_w16_dropout,mobilenetv2,9,16,4,NaN,.93,.92,.0272
"""


def thesislab(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from thesislab.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


@pytest.fixture
def results(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "architectures.csv").write_text(CSV)
    import_thesis(source, Store(tmp_path / "results"))
    return tmp_path / "results"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["import", "thesis2019"],
        ["results", "table"],
        ["results", "schema"],
        ["results", "check"],
    ],
)
def test_every_command_explains_itself_with_an_example(command):
    completed = thesislab(*command, "--help")
    assert completed.returncode == 0
    assert "Example:" in completed.stdout


def test_table_json_has_the_documented_keys_and_nulls(results):
    completed = thesislab("results", "table", "--results", str(results), "--format", "json")
    assert completed.returncode == 0, completed.stderr
    rows = json.loads(completed.stdout)
    assert len(rows) == 1
    row = rows[0]
    for key in (
        "name",
        "family",
        "stage",
        "pruning_method",
        "distilled",
        "quantization",
        "device",
        "accuracy",
        "accuracy_std",
        "n_seeds",
        "latency_ms",
        "latency_predicted_ms",
        "params",
        "macs",
        "source",
    ):
        assert key in row
    assert row["pruning_method"] is None and row["latency_predicted_ms"] is None
    assert row["accuracy"] == pytest.approx(0.925) and row["n_seeds"] == 2


def test_table_csv_and_text(results):
    csv_output = thesislab("results", "table", "-r", str(results), "--format", "csv").stdout
    assert csv_output.splitlines()[0].startswith("name,family,stage")
    text_output = thesislab("results", "table", "-r", str(results)).stdout
    assert "mobilenetv2_d9_er4_w16_dropout" in text_output


def test_bad_input_gives_one_line_error_and_exit_1(tmp_path):
    completed = thesislab("import", "thesis2019", str(tmp_path / "missing"), "-r", str(tmp_path))
    assert completed.returncode == 1
    assert completed.stderr.startswith("error: expected a directory")
    assert len(completed.stderr.strip().splitlines()) == 1
    assert "Traceback" not in completed.stderr


def test_usage_error_exits_2():
    assert thesislab("results", "table", "--format", "xml").returncode == 2


def test_schema_prints_json_schema():
    schema = json.loads(thesislab("results", "schema").stdout)
    assert "oneOf" in json.dumps(schema) or "anyOf" in json.dumps(schema)


def test_check_reports_invalid_file(results):
    assert thesislab("results", "check", "-r", str(results)).returncode == 0
    victim = next((results / "model").iterdir())
    victim.write_text(victim.read_text().replace('"kind": "model"', '"kind": "nonsense"'))
    completed = thesislab("results", "check", "-r", str(results))
    assert completed.returncode == 1 and victim.name in completed.stderr
