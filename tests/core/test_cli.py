"""The command line: help texts, exit codes, one-line errors, table formats."""

from __future__ import annotations

import csv
import io
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from thesislab.importers.thesis2019 import import_thesis
from thesislab.records import json_schema
from thesislab.results.columns import View, names
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
    imported = list(csv.DictReader(io.StringIO(CSV)))
    assert len(rows) == len(imported)
    row = rows[0]
    assert list(row) == list(names(View.STORE))  # the registry's columns, in its order
    assert row["pruning_method"] is None and row["predicted_latency_ms"] is None
    seeds = [float(value) for key, value in imported[0].items() if key.startswith("acc")]
    assert row["accuracy"] == pytest.approx(statistics.fmean(seeds))
    assert row["n_seeds"] == len(seeds)
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
    assert schema == json_schema()
    assert sorted(branch["$ref"] for branch in schema["oneOf"]) == [
        "#/$defs/ArtifactRecord",
        "#/$defs/MeasurementRecord",
        "#/$defs/ModelRecord",
    ]
    assert schema["discriminator"]["propertyName"] == "kind"


def test_check_reports_invalid_file(results):
    assert thesislab("results", "check", "-r", str(results)).returncode == 0
    victim = next((results / "model").iterdir())
    victim.write_text(victim.read_text().replace('"kind": "model"', '"kind": "nonsense"'))
    completed = thesislab("results", "check", "-r", str(results))
    assert completed.returncode == 1 and victim.name in completed.stderr


TENSORFLOW_COMMAND = """
import os
import sys

from thesislab import cli


@cli.app.command("tensorflow-sum")
def tensorflow_sum() -> None:
    import tensorflow as tf

    print(float(tf.constant(1.0) + 1.0))
    os.write(2, b"I0000 00:00:1.5 7 probe.cc:1] a native INFO line\\nnative output\\n")
    print("python output", file=sys.stderr)


cli.main()
"""
CHATTER = ("cpu_feature_guard", "absl::InitializeLog()", "oneDNN", "native INFO line")


@pytest.mark.slow
def test_native_log_chatter_shows_only_with_verbose():
    def start(*options: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", TENSORFLOW_COMMAND, *options, "tensorflow-sum"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    started = [start(), start("--verbose")]  # side by side: each imports TensorFlow
    (quiet_out, quiet), (verbose_out, verbose) = (run.communicate() for run in started)
    for run, out, err in zip(started, (quiet_out, verbose_out), (quiet, verbose), strict=True):
        assert run.returncode == 0, err
        assert out == "2.0\n"
        assert {"native output", "python output"} <= set(err.splitlines())
    assert [marker for marker in CHATTER if marker in quiet] == []
    assert sorted(quiet.splitlines()) == ["native output", "python output"]
    assert "a native INFO line" in verbose


def test_a_command_that_needs_the_ml_extra_names_it_in_one_line():
    from tests.without_modules import MACHINE_LEARNING, run_without

    done = run_without(
        MACHINE_LEARNING,
        "import sys; from thesislab.cli import main; "
        "sys.argv = ['thesislab', 'bench', '--arch', 'res_d10_w16', '--results', '/nonexistent']; "
        "main()",
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'thesislab[ml]'" in lines[0], done.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["results", "check"],
        ["results", "table"],
        ["site", "build"],
        ["chart", "list"],
        ["convert", "3f2a9c"],
        ["lut", "show", "--family", "wideresnet"],
    ],
)
def test_a_results_folder_that_does_not_exist_is_refused_in_one_line(tmp_path, command):
    missing = tmp_path / "nope"
    completed = thesislab(*command, "--results", str(missing), cwd=tmp_path)
    assert completed.returncode == 1
    [line] = completed.stderr.splitlines()
    assert line.startswith("error: ") and str(missing) in line
    assert "existing" in line or "no such folder" in line
    assert not missing.exists()


FOLLOW_UPS = """
from thesislab.commands import thesislab_command

print(thesislab_command("results", "schema"))
"""


@pytest.mark.parametrize("environment_active", [True, False])
def test_printed_follow_up_commands_work_as_printed(tmp_path, environment_active):
    """With the virtual environment active (its bin folder first on PATH) or not."""
    import os

    bin_folder = str(Path(sys.executable).parent)
    others = [part for part in os.environ["PATH"].split(os.pathsep) if part != bin_folder]
    path = os.pathsep.join([bin_folder, *others] if environment_active else others)
    printed = subprocess.run(
        [sys.executable, "-c", FOLLOW_UPS],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PATH": path},
    ).stdout.strip()
    assert printed.startswith("thesislab " if environment_active else bin_folder)
    completed = subprocess.run(
        ["sh", "-c", printed],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "PATH": path},
    )
    assert completed.returncode == 0, (printed, completed.stderr[-1000:])
