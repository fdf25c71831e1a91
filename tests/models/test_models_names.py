"""Thesis names: reading, refusing, writing back, and every name of the thesis's result CSVs."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from thesislab.errors import ThesislabError
from thesislab.models.names import format_name, parse_name
from thesislab.models.registry import families, resolve
from thesislab.models.spec import ArchSpec


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


@pytest.mark.parametrize(
    ("name", "style"),
    [
        ("mobilenetv2_d9_er4_w24_se2_dropout_newKD_t2_l02", "thesis"),
        ("res_d22_w16_KD_t2_l02", "thesis"),
        ("res-40-2-fisher-pruned-pf=0.4-dr=0.98-allow-small-2", "dashed"),
        ("res-40-2-morphnet-rs=6e-9-tresh=5e-4-pass2", "dashed"),
    ],
)
def test_names_with_recipe_tags_round_trip(name, style):
    parsed = parse_name(name)
    assert format_name(parsed.spec, tags=parsed.tags, style=style) == name


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
    with pytest.raises(ThesislabError, match=r"expected a family head .*, received unknown part"):
        parse_name("unprunned-1", base=base)


@pytest.mark.parametrize(
    ("name", "family", "received"),
    [
        ("mobilenetv2_d12_zz6", "mobilenetv2", "unknown part 'zz6'"),
        ("mobilenetv2_d6_re2_w16", "mobilenetv2", "unknown part 're2'"),
        ("effnet_x", "effnet", "unknown part 'x'"),
        ("res-40-2x", "wideresnet", "unknown part '2x'"),
        ("xyz-res-40-2", "wideresnet", "unknown part 'xyz'"),
        ("mobilenetv1_d12_er4", "mobilenetv1", "unknown part 'er4'"),  # another family's
        ("squeezenext_d9_w48_se2", "squeezenext", "unknown part 'se2'"),  # a parameter it lacks
        ("mobilenetv2_d12_cosinee", "mobilenetv2", "unknown part 'cosinee'"),
        ("mobilenetv2_d12__w32", "mobilenetv2", "an empty part"),
        ("mobilenetv2_d12_w32_", "mobilenetv2", "an empty part"),
        ("res-40-2-", "wideresnet", "an empty part"),
        ("mobilenetv2_d_w32", "mobilenetv2", "'d' without its value"),
        ("mobilenetv2_d12_er4_d9", "mobilenetv2", "'d9' while its depth is given already"),
        ("res-40-2-w64", "wideresnet", "'w64' while its width is given already"),
        ("wideresnet_40_4_d16", "wideresnet", "'d16' while its depth is given already"),
        ("mnasnet_d9_dropout_dropout0.3", "mnasnet", "'dropout0.3' while its dropout is given"),
        ("mobilenetv1_d15_cosine_cosine", "mobilenetv1", "the tag 'cosine' twice"),
        ("res-40-2.5", "wideresnet", "'2.5', a number that follows no tag"),
    ],
)
def test_a_name_with_a_bad_part_is_refused_in_one_line(name, family, received):
    with pytest.raises(ThesislabError) as refused:
        parse_name(name)
    message = str(refused.value)
    assert message.startswith(f"model name {name!r}: expected {family} parameters (d<n>, ")
    assert "dropout[<rate>]) or recipe tags (" in message and " cosine, " in message
    assert f"received {received}" in message
    assert "\n" not in message


def test_every_family_lists_the_name_tokens_of_its_own_parameters():
    for family in families().values():
        assert {param for param, _ in family.tokens} <= set(family.defaults), family.name
        assert [prefix for _, prefix in family.tokens][:1] == ["d"], family.name
    assert ("se_ratio", "se") not in families()["squeezenext"].tokens


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if any(row.values())]


def _number(text: str) -> float | None:
    value = float(text) if text else math.nan
    return None if math.isnan(value) else value


NAME_COLUMNS = ("file_name", "name", "net")
"""The columns of the thesis CSVs that hold model names."""
WRN_40_2 = ArchSpec(family="wideresnet", params={"depth": 40, "width": 32})
"""The network every pruning run (pruning_methods.csv) starts from."""
WRITTEN_OTHERWISE = {
    "mobilenetv1_d15_cosine": "mobilenetv1_d15_w32_cosine",  # the default width is written
    "wideresnet_40_4_se2_for_KD": "res_d40_w64_se2_for_KD",  # a WideResNet's own head and width
}
"""Names of the thesis's trained networks that `format_name` spells otherwise."""


def _thesis_names(seed_dir: Path) -> list[tuple[str, str]]:
    """(file, name) of every name in the thesis CSVs."""
    names = [
        (path.name, row[column])
        for path in sorted(seed_dir.glob("*.csv"))
        for row in _rows(path)
        for column in NAME_COLUMNS
        if row.get(column)
    ]
    assert len(names) > 150
    return names


@pytest.mark.shared_data
def test_every_thesis_name_reads_and_round_trips(seed_dir):
    for file_name, name in _thesis_names(seed_dir):
        base = WRN_40_2 if file_name == "pruning_methods.csv" else None
        parsed = parse_name(name, base=base)
        for style in ("thesis", "dashed"):
            written = format_name(parsed.spec, tags=parsed.tags, style=style)
            assert parse_name(written) == parsed, (name, written)
            again = parse_name(written)
            assert format_name(again.spec, tags=again.tags, style=style) == written
        if "_" in name.split("-")[0] and file_name != "pruning_methods.csv":
            written = format_name(parsed.spec, tags=parsed.tags)
            assert written == WRITTEN_OTHERWISE.get(name, name)


@pytest.mark.shared_data
@pytest.mark.parametrize("file_name", ["architectures.csv", "quantized_archs.csv"])
def test_every_trained_architecture_parses_to_its_columns(seed_dir, file_name):
    for row in _rows(seed_dir / file_name):
        spec = parse_name(row["file_name"]).spec
        assert row["arch"].startswith(spec.family), row
        assert spec.params["depth"] == int(row["depth"]), row
        assert spec.params.get("se_ratio") == _number(row["se"]), row
        if spec.family != "wideresnet":  # the CSV gives WideResNet widths as widen factors once
            assert spec.params["width"] == int(row["width"]), row
            other = spec.params.get("expansion", spec.params.get("groups"))
            assert other == _number(row["other"]), row
        resolve(spec)


@pytest.mark.shared_data
def test_every_distillation_name_parses(seed_dir):
    for row in _rows(seed_dir / "test_KD.csv"):
        net = parse_name(row["net"]).spec
        assert net.params == {"depth": int(row["net"].split("-")[1]), "width": 16}
        assert parse_name(row["name"]).spec == net
    for row in _rows(seed_dir / "test_KD_3.csv"):
        resolve(parse_name(row["file_name"]).spec)


@pytest.mark.shared_data
def test_every_pruned_network_is_a_wrn_40_2(seed_dir):
    assert parse_name("res-40-2").spec == WRN_40_2
    for row in _rows(seed_dir / "pruning_methods.csv"):
        assert parse_name(row["file_name"], base=WRN_40_2).spec == WRN_40_2, row
