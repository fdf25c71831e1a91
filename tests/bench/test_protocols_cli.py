"""`thesislab protocols list|show`: every preset and its fields, as a table or JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from thesislab.bench.cli import protocols_app
from thesislab.bench.protocol import PRESETS
from thesislab.errors import ThesislabError
from thesislab.records import Protocol


def test_list_as_json_gives_every_preset():
    result = CliRunner().invoke(protocols_app, ["list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert set(listed) == set(PRESETS)
    assert Protocol.model_validate(listed["thesis2019"]) == PRESETS["thesis2019"]


def test_list_as_table_names_the_presets_and_the_least_durations():
    result = CliRunner().invoke(protocols_app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "thesis2019" in result.output and "quick" in result.output
    assert "min_secs" in result.output and "default: quick" in result.output


def test_show_one_preset():
    shown = CliRunner().invoke(protocols_app, ["show", "thesis2019"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert "min_secs: 1" in lines and "warmup_min_secs: 0.5" in lines and "runs: 50" in lines
    assert "pause_s: 10" in lines
    as_json = CliRunner().invoke(protocols_app, ["show", "quick", "--json"])
    assert json.loads(as_json.output) == PRESETS["quick"].model_dump(mode="json")


def test_show_an_unknown_preset_names_the_known_ones():
    result = CliRunner().invoke(protocols_app, ["show", "slow"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ThesislabError)
    assert "unknown protocol preset 'slow': expected one of lut, quick, thesis2019" in str(
        result.exception
    )
