"""A pruned post-activation WideResNet retrained as the thesis retrained it: the pre-activation
network of its channel counts (P/train.py's WideResNetAllLayersPrunable), which is also what its
artifacts convert and time (T/train_save.py's build_wrn)."""

from __future__ import annotations

from pathlib import Path

import pytest

from thesislab.errors import ThesislabError
from thesislab.models.names import parse_name
from thesislab.models.spec import ArchSpec
from thesislab.prune.run import retrained_architecture

POSTACT = parse_name("res-16-1").spec.model_copy(
    update={"params": {"depth": 16, "width": 16, "all_prunable": True, "block": "postact"}}
)
"""Two blocks a stage: with one, the two layouts are the same graph."""


def _graph(content: bytes) -> list[tuple[str, tuple[int | None, ...]]]:
    """A TFLite file's operators in the order they run, each with the position of the operator
    producing each of its inputs (None: a constant or the image)."""
    from ai_edge_litert.interpreter import Interpreter

    operators = Interpreter(model_content=content)._get_ops_details()
    producers = {
        int(tensor): position
        for position, operator in enumerate(operators)
        for tensor in operator["outputs"]
    }
    return [
        (operator["op_name"], tuple(producers.get(int(tensor)) for tensor in operator["inputs"]))
        for operator in operators
    ]


def _converted(spec: ArchSpec) -> list[tuple[str, tuple[int | None, ...]]]:
    """The graph of `spec`'s network converted with batch norms as trained ones are (not the
    identity, which the converter folds away)."""
    import keras
    import numpy as np

    from thesislab.deploy.convert import Variant, convert
    from thesislab.models.registry import build_model

    network = build_model(spec)
    rng = np.random.default_rng(0)
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 1.5, w.shape) for w in layer.get_weights()])
    return _graph(convert(network, Variant("fp32")))


def test_the_retrained_network_keeps_the_widths_in_another_block_layout() -> None:
    pruned = POSTACT.model_copy(update={"widths": [8, 8, 4, 16, 16, 0, 8, 32, 12, 20]})

    retrained = retrained_architecture(pruned, {"block": "preact"})

    assert retrained.params["block"] == "preact" and retrained.params["all_prunable"]
    assert retrained.widths == pruned.widths
    with pytest.raises(ThesislabError, match="keep the pruned network's prunable layers"):
        retrained_architecture(pruned, {"all_prunable": False})


@pytest.mark.slow
def test_a_pruned_postact_wrn_retrains_and_converts_as_preact(
    tmp_path: Path, small_data: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thesislab.data import load_data
    from thesislab.deploy.artifacts import deploy_data, make_artifacts
    from thesislab.deploy.convert import Variant
    from thesislab.prune.run import prune_model, train_pruned
    from thesislab.records import ModelRecord
    from thesislab.store import Store
    from thesislab.train.recipe import load_recipe
    from thesislab.train.run import train_model

    monkeypatch.setenv("THESISLAB_CACHE", str(cache_dir))
    data = str(small_data)
    recipe = {"epochs": 1, "batch_size": 32}
    parent = train_model(POSTACT, load_recipe(**recipe), load_data(data), tmp_path).record_id
    pruned_id = prune_model(tmp_path, parent, "uniform", {"channels": 0.5}, {}, data)
    with pytest.raises(ThesislabError, match="fine-tuning: expected the pruned network's own"):
        train_pruned(tmp_path, pruned_id, "fine_tuned", recipe, data, params={"block": "preact"})

    retrained_id = train_pruned(
        tmp_path, pruned_id, "retrained", recipe, data, params={"block": "preact"}
    )

    store = Store(tmp_path)
    pruned = store.get(pruned_id, ModelRecord)
    retrained = store.get(retrained_id, ModelRecord)
    assert pruned.architecture.params["block"] == "postact"
    assert retrained.architecture.params["block"] == "preact"
    assert retrained.architecture.widths == pruned.architecture.widths
    assert (retrained.lineage.stage, retrained.lineage.parent_id) == ("retrained", pruned_id)
    inputs = deploy_data(store, retrained_id, source=data, representative_size=0)
    [(_, artifact)] = make_artifacts(store, retrained_id, [Variant("fp32")], inputs)
    graph = _graph(store.resolve(str(artifact.path)).read_bytes())
    assert graph == _converted(retrained.architecture)
    assert graph != _converted(pruned.architecture)  # where the shortcuts branch off differs
