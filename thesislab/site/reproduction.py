"""The reproduction of the 2019 thesis: its figures beside thesislab's own for the same networks.

A thesis configuration is reproduced when thesislab has its own result for the same network:
the same architecture as the thesis names it (family and name parameters; for pruned networks
the same widths too), stage, pruning method and distillation. An accuracy is compared when
thesislab's run used the thesis's data set and the same deployment (fp32 also stands for the
Keras model itself); a latency when it was measured on the thesis's device, on the network's own
artifact or on an untrained network of its architecture (whose lineage is that of a trained one),
never on a latency the results table copied from another row. A difference is within
the seeds' spread when it is no larger than the larger standard deviation over seeds of the two
results, or, where neither had several seeds, than the typical one of all results.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from thesislab.models.names import format_name
from thesislab.results.table import OF_ARCHITECTURE
from thesislab.site.frames import REFERENCE_SOURCE
from thesislab.site.links import model_page

if TYPE_CHECKING:
    import pandas as pd

    from thesislab.records import ModelRecord
    from thesislab.site.catalogue import Catalogue

FLOAT = "fp32"
"""The deployment a model without artifacts counts as: its Keras accuracy is the fp32 one."""

COLUMNS = (
    "family",
    "thesis_name",
    "thesis_page",
    "own_name",
    "own_page",
    "quantization",
    "thesis_accuracy",
    "thesis_accuracy_std",
    "thesis_n_seeds",
    "own_accuracy",
    "own_accuracy_std",
    "own_n_seeds",
    "accuracy_change",
    "tolerance",
    "within_spread",
    "device",
    "thesis_latency_ms",
    "own_latency_ms",
    "latency_ratio",
)
"""Columns of `comparisons`: one row per thesis configuration and deployment."""


def network_key(model: ModelRecord) -> str:
    """What makes two configurations the same network for the comparison (of their first
    models), as JSON text."""
    lineage = model.lineage
    pruned = lineage.pruning is not None
    return json.dumps(
        [
            model.architecture.family,
            format_name(model.architecture),
            model.architecture.widths if pruned else None,
            lineage.stage,
            lineage.pruning.method if lineage.pruning else None,
            lineage.distilled,
        ]
    )


_keyed: dict[str, tuple[ModelRecord, str]] = {}
"""The first model of each configuration and its `network_key`, as the last build worked it
out: a rebuild in the same process works it out again only for models read anew."""


def _network_keys(catalogue: Catalogue, configurations: list[str]) -> dict[str, str]:
    """`network_key` of each configuration's first model."""
    known = {}
    for config_id in configurations:
        model = catalogue.first(config_id)
        before = _keyed.get(config_id)
        known[config_id] = before if before and before[0] is model else (model, network_key(model))
    _keyed.clear()
    _keyed.update(known)
    return {config_id: key for config_id, (_, key) in known.items()}


def _spread(*values: object) -> float:
    known = [float(v) for v in values if isinstance(v, int | float) and not math.isnan(v)]
    return max(known) if known else math.nan


def _counterpart(candidates: pd.DataFrame, dataset: object) -> pd.DataFrame:
    """The rows of the one thesislab configuration to compare with: of those with an accuracy
    on the thesis's data set, the one with the most seeds; else the first with a latency."""
    ranked = candidates.assign(
        comparable=candidates["accuracy"].notna() & (candidates["dataset"] == dataset)
    ).sort_values(["comparable", "n_seeds", "name"], ascending=[False, False, True], kind="stable")
    chosen: pd.DataFrame = candidates[candidates["config_id"] == ranked.iloc[0]["config_id"]]
    return chosen


def _compared(
    theirs: pd.DataFrame, ours: pd.DataFrame, dataset: object, typical_spread: float
) -> list[dict[str, Any]]:
    """The rows comparing one thesis configuration and deployment with thesislab's."""
    first, own = theirs.iloc[0], ours.iloc[0]
    row: dict[str, Any] = {
        "family": first["family"],
        "thesis_name": first["name"],
        "thesis_page": model_page(str(first["config_id"])),
        "own_name": own["name"],
        "own_page": model_page(str(own["config_id"])),
        "quantization": first["deployment"],
    }
    accurate = theirs[theirs["accuracy"].notna()]
    own_accurate = ours[ours["accuracy"].notna() & (ours["dataset"] == dataset)]
    if len(accurate) and len(own_accurate):
        thesis, mine = accurate.iloc[0], own_accurate.iloc[0]
        change = float(mine["accuracy"]) - float(thesis["accuracy"])
        tolerance = _spread(thesis["accuracy_std"], mine["accuracy_std"])
        if math.isnan(tolerance):
            tolerance = typical_spread
        row.update(
            thesis_accuracy=thesis["accuracy"],
            thesis_accuracy_std=thesis["accuracy_std"],
            thesis_n_seeds=thesis["n_seeds"],
            own_accuracy=mine["accuracy"],
            own_accuracy_std=mine["accuracy_std"],
            own_n_seeds=mine["n_seeds"],
            accuracy_change=change,
            tolerance=tolerance,
            within_spread=None if math.isnan(tolerance) else abs(change) <= tolerance,
        )
    latencies = []
    for _, measured in theirs[theirs["latency_ms"].notna()].iterrows():
        on_device = ours[(ours["device"] == measured["device"]) & ours["latency_ms"].notna()]
        if len(on_device):
            mine_ms = float(on_device.iloc[0]["latency_ms"])
            latencies.append(
                {
                    **row,
                    "device": measured["device"],
                    "thesis_latency_ms": measured["latency_ms"],
                    "own_latency_ms": mine_ms,
                    "latency_ratio": mine_ms / float(measured["latency_ms"]),
                }
            )
    if latencies:
        return latencies
    return [row] if "accuracy_change" in row else []


def comparisons(frame: pd.DataFrame, catalogue: Catalogue, typical_spread: float) -> pd.DataFrame:
    """Every thesis result with a thesislab counterpart, side by side (see the module docstring),
    one row per thesis configuration, deployment and device (the accuracy repeats on each
    device's row); `typical_spread` is the standard deviation over seeds to use where neither
    side has one."""
    import pandas as pd

    frame = frame[frame["latency_from"] != OF_ARCHITECTURE]  # copies of other rows' latencies
    configurations = frame["config_id"].unique().tolist()
    keys = _network_keys(catalogue, configurations)
    datasets = {config_id: catalogue.dataset(config_id) or "" for config_id in configurations}
    rows = frame.assign(
        deployment=frame["quantization"].fillna(FLOAT).astype(str),
        key=frame["config_id"].map(keys),
        dataset=frame["config_id"].map(datasets),
    )
    thesis = rows[rows["source"] == REFERENCE_SOURCE]
    own = rows[(rows["source"] != REFERENCE_SOURCE) & rows["key"].isin(set(thesis["key"]))]
    by_key = dict(list(own.groupby(["key", "deployment"])))
    found: list[dict[str, Any]] = []
    for (_, key, deployment), theirs in thesis.groupby(["config_id", "key", "deployment"]):
        candidates = by_key.get((key, deployment))
        if candidates is not None:
            dataset = theirs.iloc[0]["dataset"]
            ours = _counterpart(candidates, dataset)
            found.extend(_compared(theirs, ours, dataset, typical_spread))
    table = pd.DataFrame(found, columns=list(COLUMNS))
    return table.sort_values(["family", "thesis_name", "quantization", "device"], ignore_index=True)


def summary(table: pd.DataFrame, frame: pd.DataFrame) -> dict[str, int]:
    """The counts the page opens with: the thesis's configurations, those thesislab reproduced,
    the accuracies and latencies compared and the accuracies within the seeds' spread."""
    accuracies = table.drop_duplicates(["thesis_page", "own_page", "quantization"])
    accuracies = accuracies[accuracies["accuracy_change"].notna()]
    return {
        "thesis_configurations": int(
            frame.loc[frame["source"] == REFERENCE_SOURCE, "config_id"].nunique()
        ),
        "reproduced": int(table["thesis_page"].nunique()),
        "accuracies": len(accuracies),
        "within_spread": int((accuracies["within_spread"] == True).sum()),  # noqa: E712
        "latencies": int(table["device"].notna().sum()),
    }
