"""Specs: explicit widths, JSON round trips, and the errors that bad specs raise."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.models.zoo_cases import REPO_ROOT, TINY, pruned, tiny_spec
from thesislab.errors import ThesislabError
from thesislab.models.families.mobilenetv1 import Block
from thesislab.models.plan import Plan, PrunableLayer, Widths
from thesislab.models.registry import arch_params, families, plan_of, prunable_layers, resolve
from thesislab.models.spec import ArchSpec
from thesislab.site.palette import colour_of


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


def test_a_family_refuses_another_familys_spec():
    with pytest.raises(ThesislabError, match="expected a mnasnet spec, got family 'effnet'"):
        families()["mnasnet"].plan_of(tiny_spec("effnet"))


@pytest.mark.parametrize("family", sorted(TINY))
def test_the_plan_table_shows_every_prunable_layer_with_its_width(family):
    spec = pruned(tiny_spec(family, 1))
    plan = plan_of(spec)
    assert list(plan.layers) == prunable_layers(spec)
    table = plan.table(spec.widths)
    assert len(table["blocks"]) == len(plan.blocks)
    cells = [str(table["stem"])] + [str(cell) for row in table["blocks"] for cell in row.values()]
    shown = " ".join(cells).replace("+", " ").split()
    for layer, width in zip(plan.layers, spec.widths or [], strict=True):
        assert f"{layer.name}={width}" in shown


def test_a_plan_whose_blocks_use_unlisted_layers_is_refused():
    params = arch_params(tiny_spec("mobilenetv1"))
    stem, inner = PrunableLayer("stem", 16), PrunableLayer("stage1_block0", 8)
    block = Block("stage1_block0", 1, 1, inner)
    assert Plan(params, stem, (block,), (stem, inner)).layers == (stem, inner)
    with pytest.raises(ValueError, match="but its blocks use"):
        Plan(params, stem, (block,), (stem,))
    with pytest.raises(ValueError, match="but its blocks use"):
        Plan(params, 16, (block,), (stem, inner))


def test_widths_name_the_layers_a_build_never_read():
    layers = prunable_layers(tiny_spec("mobilenetv1"))
    widths = Widths(layers, [8, 4, 12, 16])
    assert (widths(layers[1]), widths(layers[2]), widths(24)) == (4, 12, 24)
    assert widths.unread() == ["stem", "stage3_block0"]


def test_every_family_has_its_own_colour_and_name_heads():
    colours = {family.colour for family in families().values()}
    assert len(colours) == len(TINY)
    for name, family in families().items():
        assert colour_of(name) == family.colour
    heads = [head for family in families().values() for head in (family.name, *family.aliases)]
    assert len(heads) == len(set(heads))


_TOY_FAMILY = '''"""A toy family: a stem and `depth` conv-BN-ReLU blocks of `width` channels."""

from dataclasses import dataclass

from thesislab.models.blocks import classifier, conv_bn
from thesislab.models.plan import Plan, PrunableLayer
from thesislab.models.registry import register


@dataclass(frozen=True)
class Block:
    name: str
    out: PrunableLayer


def plan(params):
    blocks = tuple(
        Block(f"block{index}", PrunableLayer(f"block{index}", params.width))
        for index in range(params.depth)
    )
    return Plan(params, 16, blocks, tuple(block.out for block in blocks))


@register("toynet", defaults={"depth": 2, "width": 8}, plan=plan, colour="#123456",
          aliases=("toy",))
def toynet(net, image, plan, widths):
    """Toy network: plain convolutions."""
    x = conv_bn(net, image, widths(plan.stem), 3, name="stem")
    for block in plan.blocks:
        x = conv_bn(net, x, widths(block.out), 3, name=block.name)
    return classifier(net, x, dropout=0.0)
'''

_USE_TOY_FAMILY = """
import json, sys
import thesislab.models.families as package
package.__path__.append(sys.argv[1])
from thesislab.models.counting import count, count_spec
from thesislab.models.names import format_name, parse_name
from thesislab.models.registry import build_model, families, resolve
from thesislab.site.palette import colour_of
spec = parse_name("toy_d3_w4_cosine").spec
model = build_model(spec)
print(json.dumps({
    "families": sorted(families()), "spec": spec.model_dump(), "name": format_name(spec),
    "widths": resolve(spec).widths, "colour": colour_of("toynet"),
    "planned": count_spec(spec).params, "built": count(model).params,
    "layers": [layer.name for layer in model.layers],
}))
"""


def test_a_family_is_one_module(tmp_path):
    (tmp_path / "toynet.py").write_text(_TOY_FAMILY)
    done = subprocess.run(
        [sys.executable, "-c", _USE_TOY_FAMILY, str(tmp_path)],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["families"] == sorted([*TINY, "toynet"])
    assert report["spec"] == {
        "family": "toynet",
        "params": {"depth": 3, "width": 4},
        "widths": None,
    }
    assert report["name"] == "toy_d3_w4"
    assert report["widths"] == [4, 4, 4]
    assert report["colour"] == "#123456"
    hand_count = (27 * 16 + 4 * 16) + (9 * 16 * 4 + 4 * 4) + 2 * (9 * 4 * 4 + 4 * 4) + (4 * 10 + 10)
    assert report["planned"] == report["built"] == hand_count
    assert report["layers"][:4] == ["image", "stem_conv", "stem_bn", "stem_act"]
