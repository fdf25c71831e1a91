"""Specs: explicit widths, JSON round trips, and the errors that bad specs raise."""

from __future__ import annotations

import pytest

from tests.models.zoo_cases import TINY, pruned, tiny_spec
from thesislab.errors import ThesislabError
from thesislab.models.registry import configure, families, prunable_layers, resolve
from thesislab.models.spec import ArchSpec


def test_every_family_is_registered():
    assert set(families()) == set(TINY)


@pytest.mark.parametrize("family", sorted(TINY))
def test_resolve_makes_parameters_and_widths_explicit(family):
    spec = tiny_spec(family)
    resolved = resolve(spec)
    assert set(resolved.params) == set(families()[family].defaults)
    assert resolved.widths == [layer.default for layer in prunable_layers(spec)]
    assert resolve(resolved) == resolved


@pytest.mark.parametrize("family", sorted(TINY))
def test_specs_round_trip_through_json(family):
    for spec in (tiny_spec(family), resolve(tiny_spec(family)), pruned(tiny_spec(family))):
        assert ArchSpec.model_validate_json(spec.model_dump_json()) == spec


def test_default_widths_follow_the_parameters():
    layers = prunable_layers(ArchSpec(family="wideresnet", params={"depth": 16, "width": 32}))
    assert [(layer.name, layer.default) for layer in layers] == [
        ("stage1_block0_conv1", 32),
        ("stage1_block1_conv1", 32),
        ("stage2_block0_conv1", 64),
        ("stage2_block1_conv1", 64),
        ("stage3_block0_conv1", 128),
        ("stage3_block1_conv1", 128),
    ]
    all_layers = prunable_layers(
        ArchSpec(family="wideresnet", params={"depth": 16, "width": 32, "all_prunable": True})
    )
    assert [layer.name for layer in all_layers][:3] == ["stem", "stage1", "stage1_block0_conv1"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (ArchSpec(family="resnext"), "unknown model family 'resnext': expected one of"),
        (
            ArchSpec(family="effnet", params={"groups": 2}),
            "unknown parameter 'groups': expected one of",
        ),
        (ArchSpec(family="wideresnet", params={"depth": 12}), "depth must be 6n \\+ 4"),
        (ArchSpec(family="mnasnet", params={"depth": 10}), "multiple of 3, got 10"),
        (ArchSpec(family="mobilenetv1", params={"width": 1.5}), "must be a non-negative integer"),
        (ArchSpec(family="mobilenetv1", params={"dropout": 2}), "must be a rate in \\[0, 1\\)"),
        (ArchSpec(family="mobilenetv2", params={"expansion": 0}), "must be positive, got 0"),
        (
            ArchSpec(family="shufflenetv1", params={"width": 32, "groups": 3}),
            "expected a positive multiple of 3",
        ),
        (
            ArchSpec(family="mobilenetv1", params={"depth": 3}, widths=[16, 8]),
            "expected 4 widths \\(one per prunable layer\\), got 2",
        ),
        (
            ArchSpec(
                family="condensenet", params={"depth": 3}, widths=[16, 32, 6, 64, 16, 128, 32]
            ),
            "must be a multiple of 4 >= 1, got 6",
        ),
        (
            ArchSpec(family="mobilenetv1", params={"depth": 3}, widths=[16, 0, 8, 8]),
            "stage1_block0 must be an integer >= 1, got 0",
        ),
    ],
)
def test_bad_specs_raise_one_line_errors(spec, message):
    with pytest.raises(ThesislabError, match=message) as raised:
        resolve(spec)
    assert "\n" not in str(raised.value)


def test_a_builder_refuses_another_familys_spec():
    with pytest.raises(ThesislabError, match="expected a mnasnet spec, got family 'effnet'"):
        configure(tiny_spec("effnet"), "mnasnet")
