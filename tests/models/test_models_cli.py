"""`thesislab models list` and `thesislab models show`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.models.zoo_cases import REPO_ROOT, TINY
from thesislab.errors import ThesislabError
from thesislab.models.cli import app

runner = CliRunner()


def test_list_names_every_family_and_its_parameters():
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for family in TINY:
        assert f"{family}:" in result.output
    assert "expansion=4" in result.output
    listed = json.loads(runner.invoke(app, ["list", "--json"]).output)
    assert listed["shufflenetv1"]["defaults"]["groups"] == 2


def test_show_a_thesis_name():
    result = runner.invoke(app, ["show", "res-16-2"])
    assert result.exit_code == 0, result.output
    assert "res_d16_w32 (wideresnet)" in result.output
    assert "parameters: 693,498  MACs: 101.11 M" in result.output
    assert "stage3_block1_conv1" in result.output
    lines = result.output.splitlines()
    header = lines.index("stem: 16") + 1
    assert lines[header].split() == ["name", "stage", "strides", "projection", "conv1", "out"]
    assert lines[header + 3].split() == [
        "stage2_block0", "2", "2", "yes", "stage2_block0_conv1=64", "64"
    ]  # fmt: skip


def test_show_json_of_a_pruned_spec(tmp_path):
    spec = {"family": "mobilenetv1", "params": {"depth": 3, "width": 8}, "widths": [8, 4, 8, 16]}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    for argument in (json.dumps(spec), str(path)):
        result = runner.invoke(app, ["show", argument, "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["spec"]["widths"] == [8, 4, 8, 16]
        assert [layer["width"] for layer in report["prunable_layers"]] == [8, 4, 8, 16]
        assert report["params"] == sum(layer["params"] for layer in report["layers"])
        assert report["macs"] == sum(layer["macs"] for layer in report["layers"])
        assert report["plan"]["stem"] == "stem=8"
        assert [block["pointwise"] for block in report["plan"]["blocks"]] == [
            "stage1_block0=4",
            "stage2_block0=8",
            "stage3_block0=16",
        ]


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("resnet50", "expected it to start with one of"),
        ('{"family": "mnasnet", "depht": 9}', "expected an ArchSpec JSON object"),
        ("missing.json", "expected an ArchSpec JSON file"),
        ('{"family": "mnasnet", "params": {"depth": 10}}', "multiple of 3, got 10"),
    ],
)
def test_show_rejects_bad_input_with_a_one_line_error(argument, message):
    result = runner.invoke(app, ["show", argument])
    assert isinstance(result.exception, ThesislabError)
    assert message in str(result.exception)
    assert "\n" not in str(result.exception)


@pytest.mark.parametrize("command", [[], ["list"], ["show"]])
def test_help_gives_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: thesislab models" in result.output


_RUN_WITHOUT_FRAMEWORK = """
import sys
from thesislab.cli import main
sys.argv = ["thesislab", *sys.argv[1:]]
try:
    main()
except SystemExit as done:
    assert not done.code, done.code
loaded = [name for name in ("keras", "tensorflow", "jax") if name in sys.modules]
print("frameworks loaded:", loaded)
"""


@pytest.mark.parametrize(
    "command",
    [
        ["models", "show", "res-40-2", "--json"],
        ["models", "show", "nasnet_d9_w16"],
        ["models", "list"],
        ["--help"],
        ["results", "table", "--results", "experiments/quickstart"],
    ],
)
def test_commands_that_read_no_network_import_no_framework(command):
    done = subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT_FRAMEWORK, *command],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.splitlines()[-1] == "frameworks loaded: []"
