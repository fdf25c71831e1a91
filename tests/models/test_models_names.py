"""Thesis names: parsing, writing back, and every name of the thesis's result CSVs."""

from __future__ import annotations

import csv
import math

import pytest

from tests.models.zoo_cases import SEED_CSVS
from thesislab.errors import ThesislabError
from thesislab.models.names import format_name, parse_name
from thesislab.models.registry import resolve
from thesislab.models.spec import ArchSpec

needs_seed = pytest.mark.skipif(
    not SEED_CSVS.is_dir(), reason="the thesis CSVs (../shared/seed) are not checked out here"
)


@pytest.mark.parametrize(
    "name",
    [
        "mobilenetv2_d12_er6_w24_se2",
        "res_d28_w32",
        "shufflenetv1_d9_w80_g2",
        "effnet_d12_w32_e4",
        "mnasnet_d9_er4_w16_se2_dropout",
        "mobilenetv1_d15_w100_se2",
    ],
)
def test_thesis_names_round_trip(name):
    assert format_name(parse_name(name).spec) == name


def test_dashed_wideresnet_round_trips():
    spec = parse_name("res-40-2").spec
    assert spec == ArchSpec(family="wideresnet", params={"depth": 40, "width": 32})
    assert format_name(spec, style="dashed") == "res-40-2"
    assert parse_name(format_name(spec)).spec == spec


def test_parameters_and_tags_are_told_apart():
    parsed = parse_name("mobilenetv2_d9_er4_w16_dropout_newKD_t2_l02")
    assert parsed.spec.params == {"depth": 9, "expansion": 4, "width": 16, "dropout": 0.2}
    assert parsed.tags == ("newKD", "t2", "l02")
    assert parsed.distilled and not parsed.quantized
    assert parse_name("mobilenetv1_d15_w100_quantized").quantized


def test_missing_width_takes_the_thesis_default():
    assert parse_name("mobilenetv1_d15_cosine").spec.params["width"] == 32
    assert parse_name("res-16-KD").spec.params == {"depth": 16, "width": 16}


def test_effnet_writes_its_expansion_as_e():
    spec = parse_name("effnet_d12_w32_e4_cosine").spec
    assert spec.params["expansion"] == 4
    assert format_name(spec) == "effnet_d12_w32_e4"


def test_pruning_names_keep_their_method_and_settings_as_tags():
    parsed = parse_name("morphnet-res-40-2-rs=6e-9-tresh=1e-3_Group-2")
    assert parsed.spec == parse_name("res-40-2").spec
    assert parsed.tags == ("morphnet", "rs=6e-9", "tresh=1e-3", "Group", "2")


def test_a_name_without_architecture_needs_a_base():
    base = parse_name("res-40-2").spec
    assert parse_name("unpruned-1", base=base) == parse_name("res-40-2-unpruned-1")
    with pytest.raises(ThesislabError, match="expected it to start with one of"):
        parse_name("unpruned-1")


def _rows(file_name: str) -> list[dict[str, str]]:
    with (SEED_CSVS / file_name).open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if any(row.values())]


def _number(text: str) -> float | None:
    value = float(text) if text else math.nan
    return None if math.isnan(value) else value


@needs_seed
@pytest.mark.shared_data
@pytest.mark.parametrize("file_name", ["architectures.csv", "quantized_archs.csv"])
def test_every_trained_architecture_parses_to_its_columns(file_name):
    for row in _rows(file_name):
        spec = parse_name(row["file_name"]).spec
        assert row["arch"].startswith(spec.family), row
        assert spec.params["depth"] == int(row["depth"]), row
        assert spec.params.get("se_ratio") == _number(row["se"]), row
        if spec.family != "wideresnet":  # the CSV gives WideResNet widths as widen factors once
            assert spec.params["width"] == int(row["width"]), row
            other = spec.params.get("expansion", spec.params.get("groups"))
            assert other == _number(row["other"]), row
        resolve(spec)


@needs_seed
@pytest.mark.shared_data
def test_every_distillation_name_parses():
    for row in _rows("test_KD.csv"):
        net = parse_name(row["net"]).spec
        assert net.params == {"depth": int(row["net"].split("-")[1]), "width": 16}
        assert parse_name(row["name"]).spec == net
    for row in _rows("test_KD_3.csv"):
        resolve(parse_name(row["file_name"]).spec)


@needs_seed
@pytest.mark.shared_data
def test_every_pruned_network_is_a_wrn_40_2():
    wrn_40_2 = parse_name("res-40-2").spec
    for row in _rows("pruning_methods.csv"):
        assert parse_name(row["file_name"], base=wrn_40_2).spec == wrn_40_2, row
