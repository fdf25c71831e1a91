"""Fixtures of the pruning tests: the training tests' data cache and small image folder, a tiny
trained WideResNet in a results directory, and a synthetic latency table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.train import conftest as training

TINY_WRN = training.TINY_WRN
TINY_MOBILENET = training.TINY_MOBILENET
cache_dir = training.cache_dir
shared_cache = training.shared_cache
small_data = training.small_data
"""Fixtures shared with the training tests: data cache, bundled sample as a small image folder."""

FAKE_DEVICE = "fake"


@dataclass(frozen=True)
class Trained:
    """A results directory holding one trained model."""

    results: Path
    model_id: str
    data: str


def train_tiny(results: Path, name: str, data: str, cache_dir: Path) -> str:
    """Train `name` for two epochs on `data` into `results`; its model record id."""
    from thesislab.data import load_data
    from thesislab.models.names import parse_name
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("THESISLAB_CACHE", str(cache_dir))
        recipe = load_recipe(epochs=2, batch_size=32)
        return train_model(parse_name(name).spec, recipe, load_data(data), results).record_id


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, small_data: Path, cache_dir: Path) -> Trained:
    """A WRN-10-1 trained for two epochs on the small image folder."""
    results = tmp_path_factory.mktemp("results")
    data = str(small_data)
    return Trained(results, train_tiny(results, TINY_WRN, data, cache_dir), data)


def write_fake_table(results: Path, name: str) -> None:
    """A latency table of `name` on device `fake`: every layer costs 1 µs plus 1 ms per 10 M
    MACs (the other layers: nothing), on grids of every channel count, the unpruned network's
    latency its prediction; its protocol the `lut` preset's, made short."""
    from thesislab.bench.protocol import resolve_protocol
    from thesislab.latency.build import plan_entries
    from thesislab.latency.table import Entry, LatencyTable, table_path
    from thesislab.models.names import parse_name
    from thesislab.models.structure import structure_of

    structure = structure_of(parse_name(name).spec)
    entries = []
    for plan in plan_entries(structure, points=None):
        layer = plan.layer
        positions = layer.output_hw[0] * layer.output_hw[1] * layer.kernel[0] * layer.kernel[1]
        grid = [
            [0.001 + positions * max(cin, 1) * cout / layer.groups / 1e7 for cout in plan.outputs]
            for cin in plan.inputs
        ]
        entries.append(
            Entry(
                kind=layer.kind,
                kernel=layer.kernel,
                strides=layer.strides,
                input_hw=layer.input_hw,
                groups=layer.groups,
                inputs=plan.inputs,
                outputs=plan.outputs,
                raw_ms=grid,
                smoothed_ms=grid,
            )
        )
    table = LatencyTable(
        device=FAKE_DEVICE,
        runtime="synthetic",
        protocol=resolve_protocol("lut", runs=3, warmup_runs=1, passes=2),
        spec=structure.spec,
        points=None,
        sigma=0.0,
        entries=entries,
        other_ms_per_value=0.0,
        network_ms=0.0,
        created_at=datetime.now(UTC),
    )
    unpruned_ms = table.predict(structure, structure.default_widths)
    table = table.model_copy(update={"network_ms": unpruned_ms})
    path = table_path(results, FAKE_DEVICE, structure.spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table.model_dump_json())
